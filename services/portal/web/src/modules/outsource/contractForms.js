// The contract forms of a project page (sign, amend, acceptance, payment) as requests of the
// outsource service, and the service's field violations back onto the form's rows. Amounts stay
// decimal strings (the service checks them); every rule beyond shaping the request is the
// service's, so a bad value reaches it and comes back named by its field.
import { problemMessage } from '../../errors.js'
import { translateReason } from '../../schemaForm.js'
import { money } from '../budget/format.js'
import { today } from './qualifications.js'

export const PRIORITIES = ['critical', 'high', 'medium', 'low']
export const METRICS = ['response', 'resolution', 'availability']
export const PAUSE_REASONS = ['requester', 'change', 'vendor']
export const DEFAULT_PAUSES = ['requester', 'change']
export const RESULTS = ['pass', 'conditional_pass', 'fail']

const cny = (amount) => ({ amount: String(amount ?? '').trim(), currency: 'CNY' })
const amountOf = (m) => (m && m.amount) || ''
// "" for an empty input, else the number; a non-integer goes as is and the gateway names the field.
const minutesOf = (v) => (v === '' || v === null || v === undefined ? 0 : Number(v))

// One name a line, or separated by commas or 、 (reviewers, deliverables, rectification items).
export function splitList(text) {
  return String(text || '').split(/[\n,，、;；]/).map((s) => s.trim()).filter(Boolean)
}

export function emptyTerms() {
  return {
    targets: PRIORITIES.map((priority) => ({ priority, response_minutes: '', resolution_minutes: '' })),
    attainment_target_percent: '95', availability_percent: '', onsite_minutes: '', clock: 'business',
    pauses: [...DEFAULT_PAUSES], penalties: [],
  }
}

export function emptyPenalty(n) {
  return { id: `p${n}`, name: '', metric: 'response', per_breach_amount: '', per_point_amount: '', cap: '' }
}

// The form of a contract version's terms (what GetContract returns), for an amendment.
export function termsForm(version) {
  const sla = version.sla || {}
  const given = Object.fromEntries((sla.targets || []).map((t) => [t.priority, t]))
  return {
    targets: [...PRIORITIES, ...Object.keys(given).filter((p) => !PRIORITIES.includes(p))].map((priority) => ({
      priority,
      response_minutes: given[priority] ? given[priority].response_minutes : '',
      resolution_minutes: given[priority] ? given[priority].resolution_minutes : '',
    })),
    attainment_target_percent: sla.attainment_target_percent || '95',
    availability_percent: sla.availability_percent || '',
    onsite_minutes: sla.onsite_minutes || '',
    clock: sla.clock || 'business',
    // unset allowed_pauses means the default reasons; a set, empty list means none
    pauses: sla.allowed_pauses ? [...(sla.allowed_pauses.reasons || [])] : [...DEFAULT_PAUSES],
    penalties: (version.penalties || []).map((p) => ({
      id: p.id, name: p.name, metric: p.metric, per_breach_amount: numberText(p.per_breach_amount),
      per_point_amount: numberText(p.per_point_amount), cap: p.cap ? amountOf(p.cap) : '',
    })),
  }
}

// "0.00" is how the service answers "no such amount": shown empty.
function numberText(m) {
  const a = amountOf(m)
  return a && Number(a) !== 0 ? a : ''
}

// SlaTerms and penalty clauses of the form. A priority row with neither target is not in the
// contract and is left out; `targetRows` maps each sent target back to its form row, so the
// service's sla.targets[i] lands on the right row.
export function termsRequest(form) {
  const targetRows = []
  const targets = []
  form.targets.forEach((t, row) => {
    if (t.response_minutes === '' && t.resolution_minutes === '') return
    targetRows.push(row)
    targets.push({ priority: t.priority, response_minutes: minutesOf(t.response_minutes),
      resolution_minutes: minutesOf(t.resolution_minutes) })
  })
  const sla = {
    targets,
    attainment_target_percent: String(form.attainment_target_percent || '').trim(),
    availability_percent: String(form.availability_percent || '').trim(),
    onsite_minutes: minutesOf(form.onsite_minutes),
    clock: form.clock,
    allowed_pauses: { reasons: [...form.pauses] },
  }
  const penalties = form.penalties.map((p) => {
    const clause = { id: p.id.trim(), name: p.name.trim(), metric: p.metric,
      per_breach_amount: cny(p.per_breach_amount || '0'), per_point_amount: cny(p.per_point_amount || '0') }
    if (String(p.cap).trim() !== '') clause.cap = cny(p.cap)
    return clause
  })
  return { sla, penalties, targetRows }
}

export function emptyMilestone() {
  return { name: '', amount: '', acceptance: '', deliverables: [], due_on: '' }
}

export function emptySignForm(awardAmount = '') {
  return {
    amount: awardAmount, starts_on: '', ends_on: '', signed_on: '', vendor_group_id: '', deliverables: '',
    milestones: [emptyMilestone()],
    terms: emptyTerms(),
  }
}

export function signRequest(projectId, form) {
  const { sla, penalties, targetRows } = termsRequest(form.terms)
  const body = {
    project_id: projectId,
    amount: cny(form.amount),
    starts_on: form.starts_on || '',
    ends_on: form.ends_on || '',
    signed_on: form.signed_on || '',
    vendor_group_id: form.vendor_group_id.trim(),
    deliverables: splitList(form.deliverables),
    // every row is sent (an empty one is refused by name), so milestones[i] is row i
    milestones: form.milestones.map((m, i) => ({ id: `m${i + 1}`, name: m.name.trim(), amount: cny(m.amount),
      acceptance: m.acceptance.trim(), deliverables: [...m.deliverables], due_on: m.due_on || '' })),
    sla,
    penalties,
  }
  return { body, targetRows }
}

// Only what changed goes into the amendment (unset fields keep the current terms); the SLA and
// the penalty clauses are each replaced whole when any part of them changed.
export function amendRequest(contract, form) {
  const cur = contract.current
  const before = termsRequest(termsForm(cur))
  const after = termsRequest(form.terms)
  const body = { contract_id: contract.id, reason: form.reason.trim(), effective_from: form.effective_from || '' }
  const changed = []
  if (String(form.amount).trim() !== amountOf(cur.amount)) { body.amount = cny(form.amount); changed.push('amount') }
  if ((form.ends_on || '') !== cur.ends_on) { body.ends_on = form.ends_on || ''; changed.push('ends_on') }
  if (JSON.stringify(after.sla) !== JSON.stringify(before.sla)) { body.sla = after.sla; changed.push('sla') }
  if (JSON.stringify(after.penalties) !== JSON.stringify(before.penalties)) {
    Object.assign(body, { penalties: after.penalties, replace_penalties: true })
    changed.push('penalties')
  }
  return { body, changed, targetRows: after.targetRows }
}

export function amendForm(contract, today) {
  const cur = contract.current
  const from = today < cur.starts_on ? cur.starts_on : today > cur.ends_on ? cur.ends_on : today
  return { reason: '', effective_from: from, amount: amountOf(cur.amount), ends_on: cur.ends_on, terms: termsForm(cur) }
}

// The outsource service's field reasons in Chinese (as modules/admin does for its services); a
// reason not listed is shown as the service wrote it.
const REASONS_ZH = [
  [/^is required \(YYYY-MM-DD\)/, () => '此项为必填项（日期）'],
  [/^is required \(a percentage/, () => '此项为必填项（百分比）'],
  [/^is required \(a decimal string/, () => '此项为必填项（金额）'],
  [/^must be greater than zero/, () => '必须大于零'],
  [/^must not be negative|^must be zero or more/, () => '不能为负数'],
  [/^must be a decimal (number|percentage)|^must be a finite number/, () => '应为数字'],
  [/^must have at most two decimals/, () => '最多两位小数（分）'],
  [/^must be between 0 and 100/, () => '应在 0 到 100 之间'],
  [/^must be a date YYYY-MM-DD/, () => '应为日期（YYYY-MM-DD）'],
  [/^must not be empty/, () => '不能为空'],
  [/^must be at most (\d+) characters/, (m) => `不能超过 ${m[1]} 个字符`],
  [/^milestone amounts add up to more than the contract amount/, () => '付款节点金额合计超过合同金额'],
  [/^must not be shorter than the response target/, () => '解决时限不能短于响应时限'],
  [/is listed twice/, () => '重复'],
  [/^must not be before (starts_on|the contract's start)/, () => '不能早于服务期开始日期'],
  [/^must fall within the contract period/, () => '须在合同服务期内'],
  [/^\S+ is before the contract starts \((\S+)\)/, (m) => `到期日早于合同服务期开始（${m[1]}）`],
  [/^\S+ is after the contract ends \((\S+)\)/, (m) => `到期日晚于合同服务期结束（${m[1]}）`],
  [/^milestone (\S+) is due on (\S+), after/, (m) => `付款节点 ${m[1]} 的到期日为 ${m[2]}，服务期须涵盖所有到期日`],
  [/^at least one deliverable is required/, () => '至少填写一项交付物'],
  [/^at least one payment milestone is required/, () => '至少一个付款节点'],
  [/is not a deliverable of the contract/, () => '不是本合同的交付物'],
  [/^needs a per_breach_amount or a per_point_amount/, () => '须填写每单扣款或每低 1 个百分点扣款'],
  [/^at least one reviewer is required/, () => '至少一名验收人员'],
  [/^at least one checklist item is required/, () => '至少一个检查项'],
  [/^no checklist item for deliverable\(s\): (.*)/, (m) => `缺少这些交付物的检查项：${m[1]}`],
  [/^a conditional pass needs at least one rectification item/, () => '有条件通过须列出整改事项'],
  [/^pass needs every checklist item passed/, () => '有未通过的检查项，结论应为有条件通过或不通过'],
  [/^must be one of/, () => '不是有效的取值'],
]
// and its refusals without a field (FAILED_PRECONDITION), which name what to do next
const REFUSALS_ZH = [
  [/needs acceptance '(.*)' passed before payment/, (m) => `该节点须先通过“${m[1]}”验收才能付款`],
  [/exceeds what is left of milestone \S+: (\S+)/, (m) => `付款金额超过该节点未付金额（${money(m[1])}）`],
  [/exceeds the remaining contract amount (\S+)/, (m) => `付款金额超过合同未付金额（${money(m[1])}）`],
  [/is blocked: its over-budget commitment/, () => '合同超预算被拦截：须由签订人以外的人员在预算中办理超预算审批后才能付款'],
  [/overlaps contract .* for the same scope/, () => '服务期与同一服务范围的另一份合同重叠，本项目不允许重叠'],
  [/has no award decision yet/, () => '项目尚未定标'],
  [/is below what is already paid/, () => '合同金额不能低于已付金额'],
  [/milestone amounts would exceed the amended contract amount/, () => '变更后的合同金额低于付款节点金额合计'],
  [/is in state '.*'; .* needs state/, () => '项目当前阶段不能办理此事项'],
]
export function refusalZh(description) {
  for (const [re, fmt] of REFUSALS_ZH) {
    const m = re.exec(description || '')
    if (m) return fmt(m)
  }
  return ''
}

// What a dialog shows at its top for a refused call: with field violations (shown on their fields)
// just the generic message; otherwise the refusal in the user's words and the service's own text.
export function dialogProblem(t, err, fieldCount, locale) {
  if (fieldCount) return { title: problemMessage(t, err), detail: '' }
  const zh = locale === 'zh-CN' ? refusalZh(err && err.message) : ''
  return { title: zh || problemMessage(t, err), detail: (err && err.message) || '' }
}

export function reasonZh(description) {
  for (const [re, fmt] of REASONS_ZH) {
    const m = re.exec(description || '')
    if (m) return fmt(m)
  }
  return ''
}

// The service's violations ({field: message}) with sla.targets[i] renamed to the form row it came
// from; the money of a field counts as the field (amount.amount → amount). `fields` carries the
// service's own reasons (fieldErrors with 'en'), put into Chinese here where known.
export function formErrors(fields, targetRows = [], locale = 'zh-CN') {
  const out = {}
  for (const [field, reason] of Object.entries(fields)) {
    const message = (locale === 'zh-CN' && reasonZh(reason)) || translateReason(reason, locale)
    let key = field.replace(/\.(amount|currency)$/, '')
    key = key.replace(/^sla\.targets\[(\d+)\]/, (_, i) => `sla.targets[${targetRows[Number(i)] ?? i}]`)
    if (!(key in out)) out[key] = message
  }
  return out
}

// The checklist rows of a milestone's acceptance: one per deliverable it checks (the service wants
// each covered), all of the contract's when it names none.
export function checklistFor(contract, milestone) {
  const names = milestone && milestone.deliverables && milestone.deliverables.length ? milestone.deliverables
    : contract.deliverables
  return names.map((deliverable) => ({ deliverable, item: '', passed: true, note: '' }))
}

export function acceptanceRequest(contractId, form) {
  return {
    contract_id: contractId,
    milestone_id: form.milestone_id,
    result: form.result ? `ACCEPTANCE_RESULT_${form.result.toUpperCase()}` : 'ACCEPTANCE_RESULT_UNSPECIFIED',
    reviewers: splitList(form.reviewers),
    checklist: form.checklist.map((c) => ({ deliverable: c.deliverable, item: c.item.trim(), passed: !!c.passed,
      note: c.note.trim() })),
    // only a conditional pass carries them; kept in the form if the user switches back and forth
    rectification_items: form.result === 'conditional_pass' ? splitList(form.rectification) : [],
    accepted_on: form.accepted_on || '',
  }
}

// Cents, so sums of decimal strings stay exact.
const cents = (m) => Math.round(Number(amountOf(m) || m || 0) * 100)
const asYuan = (c) => (c / 100).toFixed(2)

// Each milestone with what is paid on it, what is left, its latest acceptance's result, and
// whether it is overdue: its due date (if any) has passed and it is not fully paid.
export function milestoneProgress(contract, now = today()) {
  return contract.milestones.map((m) => {
    const paid = contract.payments.filter((p) => p.milestone_id === m.id).reduce((s, p) => s + cents(p.amount), 0)
    const acc = contract.acceptances.filter((a) => a.milestone_id === m.id).pop()
    const result = acc ? String(acc.result).replace('ACCEPTANCE_RESULT_', '').toLowerCase() : ''
    const left = cents(m.amount) - paid
    return { ...m, paid: asYuan(paid), left: asYuan(left), result,
      payable: result === 'pass' || result === 'conditional_pass', overdue: !!m.due_on && m.due_on < now && left > 0 }
  })
}

export function milestonesTotal(rows) {
  return asYuan(rows.reduce((s, m) => s + (Number.isFinite(Number(m.amount)) ? cents(m.amount) : 0), 0))
}

export function paymentRequest(contractId, form, idempotencyKey) {
  return { contract_id: contractId, milestone_id: form.milestone_id, amount: cny(form.amount),
    paid_on: form.paid_on || '', idempotency_key: idempotencyKey }
}

// The evidence types the service takes; a browser that does not know a file's type (some do not
// for .docx/.xlsx) gets it from the extension, and anything else goes as given for the service to name.
const BY_EXTENSION = {
  pdf: 'application/pdf', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', txt: 'text/plain',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}
export function evidenceType(file) {
  if (file.type) return file.type
  const ext = String(file.name).split('.').pop().toLowerCase()
  return BY_EXTENSION[ext] || 'application/octet-stream'
}

// An idempotency key; getRandomValues, unlike randomUUID, also works on a plain-http intranet address.
export function newKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
}
