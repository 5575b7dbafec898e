// The quota-standard editor's model: a Standard (as GetStandard returns it) to the editable form,
// the form to a CreateStandard / UpdateStandard body, and the service's field violations
// (`rate_rules[3].rate`, `spare_parts[1]`, `effective_to`) to the row and cell they concern.
// No rule of the standard is checked here: the budget service validates and names every bad field.

// The parts of StandardBody, in the order of the editor's tabs, with the fields of a new row.
export const PARTS = {
  rate_rules: { asset_kind: '', fee_item: '', rate: '', service_content: '' },
  workload_standards: { service_content: '', asset_kind: '', staff_grade: '', person_days: '' },
  labour_costs: { staff_grade: '', region: '', yuan_per_person_month: '' },
  spare_parts: { asset_kind: '', fee_item: 'hw_spare_parts', yuan_per_unit: '' },
  consumables: { asset_kind: '', fee_item: 'consumables', yuan_per_unit: '' },
  coefficients: { dimension: '', value: '', factor: '', name: '' },
  service_contents: { code: '', name: '', fee_item: '', description: '' },
}

// Fields that are govops.common.v1.Money on the wire: edited as the amount text.
const MONEY = { labour_costs: 'yuan_per_person_month', spare_parts: 'yuan_per_unit', consumables: 'yuan_per_unit' }

// The values a coefficient may take per dimension, for the picker (the service refuses others).
export const COEFFICIENT_VALUES = {
  support_mode: ['on_site', 'remote'],
  protection_level: ['1', '2', '3', '4'],
  response_time: ['7x24', '5x8'],
  user_scale: ['small', 'medium', 'large'],
}

export function newRow(part) {
  return { ...PARTS[part] }
}

export function emptyForm() {
  const form = { code: '', name: '', effective_from: '', effective_to: '', default_region: '', note: '' }
  for (const part of Object.keys(PARTS)) form[part] = []
  return form
}

// A standard as the form. `asNewVersion`: the content of an (approved) version copied into a new
// draft of the same code — the service gives it the next version number.
export function fromStandard(standard, { asNewVersion = false } = {}) {
  const form = emptyForm()
  for (const key of ['code', 'name', 'effective_from', 'effective_to', 'default_region', 'note']) {
    form[key] = (standard && standard[key]) || ''
  }
  const body = (standard && standard.body) || {}
  for (const [part, blank] of Object.entries(PARTS)) {
    form[part] = (body[part] || []).map((row) => {
      const out = { ...blank }
      for (const field of Object.keys(blank)) {
        const value = row[field]
        out[field] = MONEY[part] === field ? ((value && value.amount) || '') : (value ?? blank[field])
      }
      return out
    })
  }
  if (asNewVersion) form.from = { id: standard.id, label: `${standard.code} v${standard.version}` }
  return form
}

const text = (value) => String(value ?? '').trim()

// The request body: CreateStandard's (with code) or UpdateStandard's (with id).
export function toRequest(form, { id = '' } = {}) {
  const body = {}
  for (const [part, blank] of Object.entries(PARTS)) {
    body[part] = (form[part] || []).map((row) => {
      const out = {}
      for (const field of Object.keys(blank)) {
        out[field] = MONEY[part] === field ? { amount: text(row[field]), currency: 'CNY' } : text(row[field])
      }
      return out
    })
  }
  const head = { name: text(form.name), effective_from: text(form.effective_from), effective_to: text(form.effective_to),
    default_region: text(form.default_region), note: String(form.note || ''), body }
  return id ? { id, ...head } : { code: text(form.code), ...head }
}

// A rate fraction as the percent a standard is written in: "0.055" → "5.5%" (decimal text shifted,
// never a float); "" for text that is not a plain decimal.
export function ratePercent(rate) {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text(rate))
  if (!m || (!m[1] && !m[2])) return ''
  const frac = (m[2] || '').padEnd(2, '0')
  const whole = `${m[1]}${frac.slice(0, 2)}`.replace(/^0+(?=\d)/, '')
  const rest = frac.slice(2).replace(/0+$/, '')
  return `${whole}${rest ? `.${rest}` : ''}%`
}

const VIOLATION = /^([a-z_]+)\[(\d+)\](?:\.([a-z_]+))?/

// The violations as {head: {field: reason}, rows: {part: {index: {field|'': reason}}}}: a reason on
// a whole row (an overlap, a duplicate) is kept under ''. A money field's `.currency` counts as the field.
export function placeViolations(violations) {
  const placed = { head: {}, rows: {} }
  for (const v of violations || []) {
    const field = String(v.field || '').replace(/^body\./, '')
    const m = VIOLATION.exec(field)
    if (m && m[1] in PARTS) {
      const part = (placed.rows[m[1]] ||= {})
      const row = (part[Number(m[2])] ||= {})
      const key = m[3] || ''
      if (!(key in row)) row[key] = v.description
    } else if (!(field in placed.head)) {
      placed.head[field] = v.description
    }
  }
  return placed
}

// The first part (in tab order) with a problem, so the editor can open its tab.
export function firstPartWithProblems(placed) {
  return Object.keys(PARTS).find((part) => placed.rows[part] && Object.keys(placed.rows[part]).length) || ''
}
