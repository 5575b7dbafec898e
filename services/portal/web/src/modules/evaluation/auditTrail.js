// An evaluation audit entry for a reader: its detail_json (written by services/evaluation/handlers_eval.py
// with English keys and raw values) as labelled, translated parts, and its actor.

// Keys whose value is a share 0–1 (shown as a percent).
const SHARES = new Set(['no_data_share', 'max_no_data_share'])
// Keys whose value is a plan state as the service stores it ("review").
const PLAN_STATES = new Set(['from_state', 'to_state'])

const percent = (v) => `${(Number(v) * 100).toFixed(2).replace(/\.?0+$/, '')}%`
const upper = (v) => String(v).toUpperCase()

// One value in words; `key` picks the translation (plan state, accountability level, closing event).
function valueText(t, te, key, v) {
  const known = (path) => (te(path) ? t(path) : String(v))
  if (Array.isArray(v)) return v.map((x) => valueText(t, te, '', x)).join('、')
  if (v !== null && typeof v === 'object') return JSON.stringify(v)
  if (typeof v === 'boolean') return t(v ? 'evaluation.audit.yes' : 'evaluation.audit.no')
  if (SHARES.has(key) && typeof v === 'number') return percent(v)
  if (PLAN_STATES.has(key)) return known(`evaluation.states.PLAN_STATE_${upper(v)}`)
  if (key === 'level') return known(`evaluation.accLevels.ACCOUNTABILITY_LEVEL_${upper(v)}`)
  if (key === 'event') return known(`evaluation.audit.events.${v}`)
  // the service's only unrouted reason, in English in the stored row
  if (key === 'unrouted') return t('evaluation.audit.noOwner')
  return String(v)
}

// [{key, label, value}] of an entry's details, in the stored order; an unknown key keeps its name,
// an empty value (null, '', []) is left out, a detail that is not a JSON object is one raw part.
export function detailParts(t, te, detailJson) {
  let d
  try { d = JSON.parse(detailJson || '{}') } catch { d = null }
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return [{ key: '', label: '', value: String(detailJson) }]
  return Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && !v.length))
    .map(([key, v]) => ({
      key,
      label: te(`evaluation.audit.details.${key}`) ? t(`evaluation.audit.details.${key}`) : key,
      value: valueText(t, te, key, v),
    }))
}

// The parts as one line: "原状态：复核；理由：…" (the punctuation is the language's).
export const detailText = (t, te, detailJson) => detailParts(t, te, detailJson)
  .map((p) => (p.label ? t('evaluation.audit.pair', { label: p.label, value: p.value }) : p.value))
  .join(t('evaluation.audit.separator'))

// "显示名（login）" for a login whose display name is known — the entry's own (actor_name, kept
// since evaluation migration 0006), else from `names` — otherwise the login itself.
export function actorLabel(actor, names, actorName = '') {
  const name = actorName || (names && names[actor])
  return name && name !== actor ? `${name}（${actor}）` : actor
}
