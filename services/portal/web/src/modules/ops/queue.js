// What the queue page sends and keeps, as plain functions (tested in tests/ops.test.js).

export const OPEN = ['new', 'assigned', 'in_progress', 'pending', 'resolved', 'awaiting_approval', 'approved',
  'rejected', 'implemented', 'known_error']

// The page's tab and filters → a ListQueueRequest (sorted by the resolution deadline).
export function queueRequest({ tab, groupId, filters = {} }, pageToken = '', pageSize = 50) {
  const view = { mine: 'QUEUE_VIEW_MY_QUEUE', group: 'QUEUE_VIEW_GROUP_QUEUE' }[tab] || 'QUEUE_VIEW_ALL'
  const filter = {}
  if (tab === 'group') filter.group_id = groupId || ''
  if (tab === 'unassigned') filter.unassigned = true
  for (const key of ['ticket_type', 'priority', 'org_unit_ids', 'status']) {
    if (filters[key] && filters[key].length) filter[key] = [...filters[key]]
  }
  if (filters.catalogue_item_id) filter.catalogue_item_ids = [filters.catalogue_item_id]
  return { view, filter, sort: 'sla_due', page: { page_size: pageSize, page_token: pageToken } }
}

// The SSE address of the same view (WatchQueue's request as query parameters).
export function streamUrl({ tab, groupId }) {
  const q = new URLSearchParams()
  q.set('view', { mine: 'QUEUE_VIEW_MY_QUEUE', group: 'QUEUE_VIEW_GROUP_QUEUE' }[tab] || 'QUEUE_VIEW_ALL')
  if (tab === 'group') q.set('group_id', groupId || '')
  return `/api/tickets/queue/stream?${q}`
}

// Saved views are kept by the ticket service (ListSavedQueueViews / SaveQueueView /
// DeleteSavedQueueView), each user's own: a view is the ListQueue request of the page's tab and
// filters, under a name; reading one back gives the page's tab and filters again.
export function viewRequest(name, state) {
  const { view, filter } = queueRequest(state)
  return { name, view, filter }
}

const TABS = { QUEUE_VIEW_MY_QUEUE: 'mine', QUEUE_VIEW_GROUP_QUEUE: 'group' }

export function viewState(saved) {
  const f = saved.filter || {}
  const tab = TABS[saved.view] || (f.unassigned ? 'unassigned' : 'all')
  const filters = {}
  for (const key of ['ticket_type', 'priority', 'org_unit_ids', 'status']) {
    if (f[key] && f[key].length) filters[key] = [...f[key]]
  }
  if (f.catalogue_item_ids && f.catalogue_item_ids.length) filters.catalogue_item_id = f.catalogue_item_ids[0]
  return { name: saved.name, tab, groupId: tab === 'group' ? f.group_id || '' : '', filters }
}

// Views an earlier version kept in this browser (localStorage, per subject): moved to the service
// once, then forgotten here.
const legacyKey = (subject) => `govops.ops.views.${subject || ''}`

export function legacyViews(storage, subject) {
  try {
    const views = JSON.parse(storage.getItem(legacyKey(subject)) || '[]')
    return Array.isArray(views) ? views.filter((v) => v && typeof v.name === 'string' && v.name.trim()) : []
  } catch {
    return []
  }
}

export function forgetLegacyViews(storage, subject) {
  storage.removeItem(legacyKey(subject))
}

// Who holds a ticket another engineer claimed first (ClaimTicket's FAILED_PRECONDITION names them
// in its ticket_id violation: "already assigned to 王工 (s-wang)").
export function claimHolder(err) {
  const v = ((err && err.violations) || []).find((x) => x.field === 'ticket_id')
  const m = v && /already assigned to (.+)$/.exec(v.description)
  return m ? m[1] : ''
}

// An audit entry's change as text: the fields whose value differs, "before → after" (∅ for none).
export function auditDiff(entry) {
  const before = entry.before || {}
  const after = entry.after || {}
  const show = (v) => {
    if (v === null || v === undefined || v === '') return '∅'
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
    return s.length > 60 ? `${s.slice(0, 59)}…` : s
  }
  return Object.keys({ ...before, ...after })
    .filter((k) => show(before[k]) !== show(after[k]))
    .map((k) => (entry.action === 'created' ? `${k}: ${show(after[k])}` : `${k}: ${show(before[k])} → ${show(after[k])}`))
    .join('; ')
}
