import { describe, expect, it } from 'vitest'
import {
  acceptanceRequest, amendForm, dialogProblem, amendRequest, checklistFor, emptyMilestone, emptySignForm, evidenceType, formErrors, milestoneProgress,
  milestonesTotal, newKey, paymentRequest, signRequest, splitList, termsForm, termsRequest,
} from '../src/modules/outsource/contractForms.js'

// A contract as GetContract answers it (proto3 JSON, defaults printed).
const CONTRACT = {
  id: 'c1', deliverables: ['运维方案', '月度报告'],
  milestones: [
    { id: 'm1', name: '首期款', amount: { amount: '144000.00', currency: 'CNY' }, acceptance: '初验', deliverables: ['运维方案'] },
    { id: 'm2', name: '尾款', amount: { amount: '336000.00', currency: 'CNY' }, acceptance: '终验', deliverables: [] },
  ],
  current: {
    version: 1, amount: { amount: '480000.00', currency: 'CNY' }, starts_on: '2026-01-01', ends_on: '2026-12-31',
    sla: { targets: [{ priority: 'critical', response_minutes: 15, resolution_minutes: 240 }], attainment_target_percent: '95.00',
      availability_percent: '', onsite_minutes: 0, clock: 'business', allowed_pauses: { reasons: ['requester', 'change'] } },
    penalties: [{ id: 'p1', name: '响应超时', metric: 'response', per_breach_amount: { amount: '200.00', currency: 'CNY' },
      per_point_amount: { amount: '0.00', currency: 'CNY' } }],
  },
  payments: [{ id: 'x', milestone_id: 'm1', amount: { amount: '100000.10', currency: 'CNY' } },
    { id: 'y', milestone_id: 'm1', amount: { amount: '0.20', currency: 'CNY' } }],
  acceptances: [{ id: 'a1', milestone_id: 'm1', result: 'ACCEPTANCE_RESULT_FAIL' }, { id: 'a2', milestone_id: 'm1', result: 'ACCEPTANCE_RESULT_PASS' }],
}

describe('signing form → SignContract', () => {
  it('sends every milestone row (so milestones[i] is row i) and only the priorities with a target', () => {
    const form = emptySignForm('480000.00')
    Object.assign(form, { starts_on: '2026-01-01', ends_on: '2026-12-31', vendor_group_id: ' app ', deliverables: '运维方案\n月度报告、 ' })
    form.milestones = [{ name: '首期款', amount: '144000', acceptance: '初验', deliverables: ['运维方案'], due_on: '2026-03-31' },
      emptyMilestone()]
    form.terms.targets[1].response_minutes = '30'
    form.terms.targets[1].resolution_minutes = '480'
    form.terms.targets[3].resolution_minutes = '2880'
    form.terms.penalties = [{ id: 'p1', name: '响应超时', metric: 'response', per_breach_amount: '200', per_point_amount: '', cap: '' }]
    const { body, targetRows } = signRequest('prj', form)
    expect(body.amount).toEqual({ amount: '480000.00', currency: 'CNY' })
    expect(body.deliverables).toEqual(['运维方案', '月度报告'])
    expect(body.vendor_group_id).toBe('app')
    expect(body.milestones.map((m) => m.id)).toEqual(['m1', 'm2'])
    expect(body.milestones[1].amount).toEqual({ amount: '', currency: 'CNY' })
    // a due date as the picker gives it (YYYY-MM-DD); a row without one sends none
    expect(body.milestones.map((m) => m.due_on)).toEqual(['2026-03-31', ''])
    expect(body.sla.targets).toEqual([{ priority: 'high', response_minutes: 30, resolution_minutes: 480 },
      { priority: 'low', response_minutes: 0, resolution_minutes: 2880 }])
    expect(targetRows).toEqual([1, 3])
    expect(body.sla.allowed_pauses).toEqual({ reasons: ['requester', 'change'] })
    expect(body.penalties[0]).toEqual({ id: 'p1', name: '响应超时', metric: 'response',
      per_breach_amount: { amount: '200', currency: 'CNY' }, per_point_amount: { amount: '0', currency: 'CNY' } })
  })

  it('puts the service violations on the form rows they came from', () => {
    const fields = { 'sla.targets[1].response_minutes': 'must be greater than zero', milestones: 'add up to more',
      'milestones[0].amount.amount': 'bad', 'penalties[0].cap': 'neg' }
    expect(formErrors(fields, [1, 3], 'en')).toEqual({ 'sla.targets[3].response_minutes': 'must be greater than zero',
      milestones: 'add up to more', 'milestones[0].amount': 'bad', 'penalties[0].cap': 'neg' })
    expect(formErrors(fields, [1, 3])['sla.targets[3].response_minutes']).toBe('必须大于零')
  })

  it('puts the service reasons into Chinese where known, else shows them as written', () => {
    expect(formErrors({ milestones: 'milestone amounts add up to more than the contract amount',
      checklist: 'no checklist item for deliverable(s): 月度报告', x: 'something new', y: 'must not be empty' })).toEqual({
      milestones: '付款节点金额合计超过合同金额', checklist: '缺少这些交付物的检查项：月度报告', x: 'something new', y: '不能为空' })
    expect(formErrors({ 'milestones[0].due_on': '2025-12-31 is before the contract starts (2026-01-01)',
      'milestones[1].due_on': '2027-01-01 is after the contract ends (2026-12-31)',
      ends_on: 'milestone m2 is due on 2026-12-31, after 2026-11-30; the period must cover every milestone\'s due date' })).toEqual({
      'milestones[0].due_on': '到期日早于合同服务期开始（2026-01-01）', 'milestones[1].due_on': '到期日晚于合同服务期结束（2026-12-31）',
      ends_on: '付款节点 m2 的到期日为 2026-12-31，服务期须涵盖所有到期日' })
  })

  it('sums milestone amounts in cents, ignoring what is not a number', () => {
    expect(milestonesTotal([{ amount: '0.10' }, { amount: '0.20' }, { amount: 'x' }, { amount: '' }])).toBe('0.30')
  })
})

describe('amendment form → AmendContract', () => {
  it('round-trips the current terms: nothing changed sends nothing', () => {
    const form = amendForm(CONTRACT, '2026-06-15')
    expect(form.effective_from).toBe('2026-06-15')
    expect(amendForm(CONTRACT, '2027-02-01').effective_from).toBe('2026-12-31')
    form.reason = 'x'
    expect(amendRequest(CONTRACT, form).changed).toEqual([])
    expect(termsRequest(termsForm(CONTRACT.current)).sla).toEqual(termsRequest(form.terms).sla)
  })

  it('sends the changed SLA whole, and replaced penalties with replace_penalties', () => {
    const form = amendForm(CONTRACT, '2026-07-01')
    form.reason = ' 服务范围扩大 '
    form.terms.targets[0].response_minutes = '10'
    form.terms.penalties = []
    const { body, changed } = amendRequest(CONTRACT, form)
    expect(changed).toEqual(['sla', 'penalties'])
    expect(body).toMatchObject({ contract_id: 'c1', reason: '服务范围扩大', effective_from: '2026-07-01', penalties: [], replace_penalties: true })
    expect(body.sla.targets).toEqual([{ priority: 'critical', response_minutes: 10, resolution_minutes: 240 }])
    expect(body).not.toHaveProperty('amount')
  })

  it('reads unset allowed pauses as the default, a set empty list as none', () => {
    expect(termsForm({ sla: { targets: [] }, penalties: [] }).pauses).toEqual(['requester', 'change'])
    expect(termsForm({ sla: { targets: [], allowed_pauses: {} }, penalties: [] }).pauses).toEqual([])
  })
})

describe('acceptance and payment', () => {
  it('checks each deliverable of the milestone, or all of the contract', () => {
    expect(checklistFor(CONTRACT, CONTRACT.milestones[0]).map((c) => c.deliverable)).toEqual(['运维方案'])
    expect(checklistFor(CONTRACT, CONTRACT.milestones[1]).map((c) => c.deliverable)).toEqual(['运维方案', '月度报告'])
  })

  it('sends rectification items only with a conditional pass', () => {
    const form = { milestone_id: 'm1', result: 'pass', reviewers: '李工，王工', rectification: '补充文档',
      checklist: [{ deliverable: '运维方案', item: ' 方案评审 ', passed: true, note: '' }], accepted_on: '' }
    const body = acceptanceRequest('c1', form)
    expect(body).toMatchObject({ result: 'ACCEPTANCE_RESULT_PASS', reviewers: ['李工', '王工'], rectification_items: [] })
    expect(body.checklist[0].item).toBe('方案评审')
    expect(acceptanceRequest('c1', { ...form, result: 'conditional_pass' }).rectification_items).toEqual(['补充文档'])
  })

  it('shows paid and left per milestone in exact cents, payable after a pass', () => {
    const [m1, m2] = milestoneProgress(CONTRACT)
    expect(m1).toMatchObject({ paid: '100000.30', left: '43999.70', result: 'pass', payable: true })
    expect(m2).toMatchObject({ paid: '0.00', left: '336000.00', result: '', payable: false })
  })

  it('marks a milestone overdue once its due date has passed while it is not fully paid', () => {
    const due = (m1, m2) => ({ ...CONTRACT, milestones: [{ ...CONTRACT.milestones[0], due_on: m1 },
      { ...CONTRACT.milestones[1], due_on: m2 }] })
    const overdue = (contract, now) => milestoneProgress(contract, now).map((m) => m.overdue)
    expect(overdue(due('2026-03-31', '2026-12-31'), '2026-03-31')).toEqual([false, false])  // due today: not yet
    expect(overdue(due('2026-03-31', '2026-12-31'), '2026-04-01')).toEqual([true, false])
    expect(overdue(CONTRACT, '2030-01-01')).toEqual([false, false])  // no due dates
    const paidUp = { ...due('2026-03-31', ''), payments: [{ id: 'x', milestone_id: 'm1', amount: { amount: '144000.00', currency: 'CNY' } }] }
    expect(overdue(paidUp, '2027-01-01')).toEqual([false, false])
  })

  it('builds the payment with its idempotency key', () => {
    expect(paymentRequest('c1', { milestone_id: 'm1', amount: ' 10 ', paid_on: '2026-03-01' }, 'k')).toEqual(
      { contract_id: 'c1', milestone_id: 'm1', amount: { amount: '10', currency: 'CNY' }, paid_on: '2026-03-01', idempotency_key: 'k' })
    expect(newKey()).toMatch(/^[0-9a-f]{32}$/)
    expect(newKey()).not.toBe(newKey())
  })

  it('types evidence from the extension when the browser does not', () => {
    expect(evidenceType({ name: 'a.pdf', type: 'application/pdf' })).toBe('application/pdf')
    expect(evidenceType({ name: '验收报告.DOCX', type: '' })).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document')
    expect(evidenceType({ name: 'x.bin', type: '' })).toBe('application/octet-stream')
  })

  it('splits lists on lines, commas and 、', () => {
    expect(splitList('a\nb，c、d; e,,')).toEqual(['a', 'b', 'c', 'd', 'e'])
  })

  it('explains a refusal without a field in Chinese, keeping the service text beneath', () => {
    const t = (k) => ({ 'errors.FAILED_PRECONDITION': '当前状态不允许此操作', 'errors.INVALID_ARGUMENT': '填写有误' })[k] || k
    const over = { code: 'FAILED_PRECONDITION', message: 'payment 150000.00 exceeds what is left of milestone m1: 144000.00' }
    expect(dialogProblem(t, over, 0, 'zh-CN')).toEqual({ title: '付款金额超过该节点未付金额（¥144,000.00）', detail: over.message })
    expect(dialogProblem(t, over, 0, 'en')).toEqual({ title: '当前状态不允许此操作', detail: over.message })
    const state = { code: 'FAILED_PRECONDITION', message: "project x is in state 'contract'; a payment needs state 'execution or acceptance'" }
    expect(dialogProblem(t, state, 0, 'zh-CN').title).toBe('项目当前阶段不能办理此事项')
    expect(dialogProblem(t, { code: 'INVALID_ARGUMENT', message: 'bad' }, 2, 'zh-CN')).toEqual({ title: '填写有误', detail: '' })
  })
})
