import { describe, expect, it } from 'vitest'
import { claimHolder, forgetLegacyViews, legacyViews, queueRequest, streamUrl, viewRequest, viewState } from '../src/modules/ops/queue.js'

class Storage {
  constructor() { this.data = {} }
  getItem(k) { return k in this.data ? this.data[k] : null }
  setItem(k, v) { this.data[k] = String(v) }
  removeItem(k) { delete this.data[k] }
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

  it('saves a view as the ListQueue request of the page and reads it back', () => {
    const pages = [
      { tab: 'mine', groupId: '', filters: { priority: ['high', 'critical'] } },
      { tab: 'group', groupId: 'grp-network', filters: { status: ['new'], org_unit_ids: ['fgw'] } },
      { tab: 'unassigned', groupId: '', filters: { catalogue_item_id: 'infra.network.fault' } },
      { tab: 'all', groupId: '', filters: { ticket_type: ['incident'] } },
    ]
    for (const page of pages) {
      const saved = viewRequest('视图', page)
      expect(saved.name).toBe('视图')
      expect(saved).not.toHaveProperty('page')
      // the service answers with the filter as sent (proto3 JSON of the set fields)
      expect(viewState(saved)).toEqual({ name: '视图', ...page })
    }
    expect(viewRequest('组', pages[1])).toEqual({ name: '组', view: 'QUEUE_VIEW_GROUP_QUEUE',
      filter: { group_id: 'grp-network', status: ['new'], org_unit_ids: ['fgw'] } })
    expect(viewState({ name: 'x', view: 'QUEUE_VIEW_ALL' })).toEqual({ name: 'x', tab: 'all', groupId: '', filters: {} })
  })

  it('finds the views an earlier version kept in this browser, once', () => {
    const s = new Storage()
    s.setItem('govops.ops.views.wang', JSON.stringify([{ name: '高优先级', tab: 'all', filters: { priority: ['high'] } }, { name: ' ' }]))
    expect(legacyViews(s, 'wang')).toEqual([{ name: '高优先级', tab: 'all', filters: { priority: ['high'] } }])
    expect(legacyViews(s, 'li')).toEqual([])
    forgetLegacyViews(s, 'wang')
    expect(legacyViews(s, 'wang')).toEqual([])
    s.setItem('govops.ops.views.bad', '{not json')
    expect(legacyViews(s, 'bad')).toEqual([])
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
