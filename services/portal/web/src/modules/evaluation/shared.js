// What the evaluation windows share: the grid's axes, display of values and scores, file downloads.
import { saveBase64 } from '../../api.js'

export const LEVELS = ['organization', 'process', 'individual']
export const DIMENSIONS = ['goals', 'design', 'management']
export const LEVEL_ENUM = { organization: 'LEVEL_ORGANIZATION', process: 'LEVEL_PROCESS', individual: 'LEVEL_INDIVIDUAL' }
export const DIMENSION_ENUM = { goals: 'DIMENSION_GOALS', design: 'DIMENSION_DESIGN', management: 'DIMENSION_MANAGEMENT' }
export const STATES = ['PLAN_STATE_DRAFT', 'PLAN_STATE_DATA_COLLECTION', 'PLAN_STATE_SELF_ASSESSMENT',
  'PLAN_STATE_REVIEW', 'PLAN_STATE_PUBLISHED', 'PLAN_STATE_ARCHIVED']
export const WITH_RESULTS = STATES.slice(2)

export const levelOf = (e) => Object.keys(LEVEL_ENUM).find((k) => LEVEL_ENUM[k] === e) || ''
export const dimensionOf = (e) => Object.keys(DIMENSION_ENUM).find((k) => DIMENSION_ENUM[k] === e) || ''

// An actual value in its display unit (durations are kept in seconds: shown in hours).
export function formatValue(v, unit) {
  if (v === undefined || v === null) return '—'
  if (unit === '秒') return `${(v / 3600).toFixed(2).replace(/\.?0+$/, '')} h`
  const n = Number(v).toFixed(2).replace(/\.?0+$/, '')
  return unit === '%' ? `${n}%` : unit ? `${n} ${unit}` : n
}

export const formatScore = (s) => (s === undefined || s === null ? '—' : Number(s).toFixed(1))

// Red (0) → amber (60) → green (100); grey without data — the report's colours.
export function heatColour(score) {
  if (score === undefined || score === null) return '#dcdfe6'
  const s = Math.max(0, Math.min(100, score))
  if (s < 60) return mix([245, 108, 108], [230, 162, 60], s / 60)
  return mix([230, 162, 60], [103, 194, 58], (s - 60) / 40)
}

function mix(a, b, f) {
  return `rgb(${a.map((x, i) => Math.round(x + (b[i] - x) * f)).join(',')})`
}

// Cells of one object's result: {"organization.goals": score}.
export function cellKey(level, dimension) {
  return `${level}.${dimension}`
}

// The indicators of one cell of a result, joined with their model definition (the data source).
export function cellIndicators(result, model, level, dimension) {
  const defs = Object.fromEntries(((model && model.indicators) || []).map((i) => [i.code, i]))
  return (result.indicators || [])
    .filter((i) => levelOf(i.level) === level && dimensionOf(i.dimension) === dimension)
    .map((i) => ({ ...i, definition: defs[i.code] || null }))
}

// Where an indicator's value comes from, in words (KPI, formula or a manual score with evidence).
export function dataSource(t, ind) {
  const d = ind.definition
  if (ind.manual || (d && d.kind === 'INDICATOR_KIND_MANUAL')) return t('evaluation.source.manual')
  if (!d) return ''
  const scope = [d.process && t('evaluation.source.process', { p: d.process }),
    d.aggregate && t('evaluation.source.aggregate', { a: d.aggregate })].filter(Boolean).join('，')
  const base = d.kind === 'INDICATOR_KIND_FORMULA' ? t('evaluation.source.formula', { f: d.formula })
    : t('evaluation.source.kpi', { k: d.kpi })
  return scope ? `${base}（${scope}）` : base
}

// Saves a GetReport reply (proto3 JSON: content is base64) as a file.
export function download(reply) {
  saveBase64(reply.content, reply.file_name || 'report', reply.mime_type || 'application/octet-stream')
}

// "fgw/group/grp-network" with the names the page knows.
export function objectLabel(t, result) {
  const o = result.object || {}
  const kind = t(`evaluation.kinds.${o.kind || 'OBJECT_KIND_UNSPECIFIED'}`)
  return `${kind} ${result.object_id}`
}

