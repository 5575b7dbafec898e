// A gateway problem as a message in the user's language, and its field violations by field.
import { translateReason } from './schemaForm.js'

export function problemMessage(t, err) {
  if (!err || !err.code) return t('errors.other')
  const key = `errors.${err.code}`
  const text = t(key)
  return text === key ? `${t('errors.other')}: ${err.message}` : text
}

// {"title": "不能为空", "form.location": "..."} from the problem's violations.
export function fieldErrors(err, locale) {
  const out = {}
  for (const v of (err && err.violations) || []) {
    if (!(v.field in out)) out[v.field] = translateReason(v.description, locale)
  }
  return out
}
