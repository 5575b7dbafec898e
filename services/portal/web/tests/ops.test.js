import { describe, expect, it } from 'vitest'
import { claimHolder, deleteView, loadViews, queueRequest, saveView, streamUrl } from '../src/modules/ops/queue.js'

class Storage {
  constructor() { this.data = {} }
  getItem(k) { return k in this.data ? this.data[k] : null }
  setItem(k, v) { this.data[k] = String(v) }
}

describe('the operations queue', () => {
  it('asks for the view sorted by the SLA deadline, with the filters given', () => {
    expect(queueRequest({ tab: 'group', groupId: 'grp-network', filters: { priority: ['high'], status: [] } }, 'tok', 20))
      .toEqual({ view: 'QUEUE_VIEW_GROUP_QUEUE', filter: { group_id: 'grp-network', priority: ['high'] }, sort: 'sla_due',
        page: { page_size: 20, page_token: 'tok' } })
    expect(queueRequest({ tab: 'unassigned', filters: { catalogue_item_id: 'infra.network.fault' } }).filter)
      .toEqual({ unassigned: true, catalogue_item_ids: ['infra.network.fault'] })
    expect(queueRequest({ tab: 'mine' }).view).toBe('QUEUE_VIEW_MY_QUEUE')
  })

  it('watches the same view', () => {
    expect(streamUrl({ tab: 'group', groupId: 'grp-network' }))
      .toBe('/api/tickets/queue/stream?view=QUEUE_VIEW_GROUP_QUEUE&group_id=grp-network')
    expect(streamUrl({ tab: 'unassigned' })).toBe('/api/tickets/queue/stream?view=QUEUE_VIEW_ALL')
  })

  it('keeps saved views per user', () => {
    const s = new Storage()
    saveView(s, 'wang', '高优先级', { tab: 'all', filters: { priority: ['high'] } })
    saveView(s, 'wang', '高优先级', { tab: 'mine', filters: {} })
    expect(loadViews(s, 'wang')).toEqual([{ name: '高优先级', tab: 'mine', groupId: '', filters: {} }])
    expect(loadViews(s, 'li')).toEqual([])
    expect(deleteView(s, 'wang', '高优先级')).toEqual([])
    s.setItem('govops.ops.views.bad', '{not json')
    expect(loadViews(s, 'bad')).toEqual([])
  })

  it('names who won a claim race', () => {
    const err = { code: 'FAILED_PRECONDITION', violations: [{ field: 'ticket_id', description: 'already assigned to 王工 (s-wang)' }] }
    expect(claimHolder(err)).toBe('王工 (s-wang)')
    expect(claimHolder({ violations: [] })).toBe('')
  })
})

describe('the audit trail', () => {
  it('shows what changed', async () => {
    const { auditDiff } = await import('../src/modules/ops/queue.js')
    expect(auditDiff({ action: 'claim', before: { status: 'new', assignee: null, title: 'x' }, after: { status: 'assigned', assignee: 'OPS-E2', title: 'x' } }))
      .toBe('status: new → assigned; assignee: ∅ → OPS-E2')
    expect(auditDiff({ action: 'created', before: null, after: { title: '断网', vendor_id: null } })).toBe('title: 断网')
  })
})
