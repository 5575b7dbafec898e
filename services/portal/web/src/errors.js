// A gateway problem as a message in the user's language, and its field violations by field.
import { translateReason } from './schemaForm.js'

export function problemMessage(t, err) {
  if (!err || !err.code) return t('errors.other')
  const key = `errors.${err.code}`
  const text = t(key)
  return text === key ? `${t('errors.other')}: ${err.message}` : text
}

// The message with the first field violation, for a page with no form field to put it on:
// "填写有误：name 不能超过 60 个字符".
export function problemWithReason(t, err, locale) {
  const v = ((err && err.violations) || [])[0]
  const head = problemMessage(t, err)
  return v ? `${head}${locale === 'zh-CN' ? '：' : ': '}${v.field} ${translateReason(v.description, locale)}` : head
}

// {"title": "不能为空", "form.location": "..."} from the problem's violations.
export function fieldErrors(err, locale) {
  const out = {}
  for (const v of (err && err.violations) || []) {
    if (!(v.field in out)) out[v.field] = translateReason(v.description, locale)
  }
  return out
}
