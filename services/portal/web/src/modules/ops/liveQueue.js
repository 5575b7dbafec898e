// The live ticket stream (WatchQueue bridged as Server-Sent Events at /api/tickets/queue/stream),
// shared by the queue page and the ticket work page; the pure parts are tested in tests/ops.test.js.
import { getCurrentInstance, onUnmounted, ref } from 'vue'

const RETRY_MS = 60000

// One EventSource at a time. onChange gets each WatchQueueResponse ({changes}); onProblem a problem
// body that ended the stream; onOpen runs on every (re)connection — changes committed while no
// stream was open never arrive, so a page that must not miss one reloads then. When the server's live queues are all taken (UNAVAILABLE) the page is
// offline for a minute, then tries again; onBusy(true/false) lets a page say what it does meanwhile.
export function useLiveQueue({ onChange, onProblem = () => {}, onBusy = () => {}, onOpen = () => {} }) {
  const live = ref(false)
  let source = null
  let retry = null
  let busy = false

  function setBusy(value) {
    if (busy === value) return
    busy = value
    onBusy(value)
  }

  function close() {
    clearTimeout(retry)
    setBusy(false)
    if (source) source.close()
    source = null
    live.value = false
  }

  // url: the stream address; empty closes the stream.
  function connect(url) {
    close()
    if (!url) return
    const es = new EventSource(url)
    source = es
    es.onopen = () => {
      live.value = true
      onOpen()
    }
    es.addEventListener('queue', (e) => {
      let message = {}
      try { message = JSON.parse(e.data) } catch { /* a hint that cannot be read still means "changed" */ }
      onChange(message)
    })
    es.addEventListener('problem', (e) => {
      let problem = {}
      try { problem = JSON.parse(e.data) } catch { /* keep the page */ }
      if (problem.code === 'UNAVAILABLE') {
        es.close()
        live.value = false
        setBusy(true)
        retry = setTimeout(() => { setBusy(false); connect(url) }, RETRY_MS)
        return
      }
      onProblem(problem)
    })
    es.onerror = () => { live.value = false }
  }

  // Outside a component (a unit test) the caller closes it.
  if (getCurrentInstance()) onUnmounted(close)
  return { live, connect, close }
}

// A change arrives as a hint to reload: one reload at a time, and one more after it for whatever
// arrived meanwhile. (Restarting a timer per change would starve the page under a steady stream.)
export function coalesced(reload) {
  let running = false
  let again = false
  return async function run() {
    if (running) { again = true; return }
    running = true
    try {
      do {
        again = false
        await reload()
      } while (again)
    } finally {
      running = false
    }
  }
}

// The narrowest stream that still carries every change of this ticket for this user: my_queue while
// it is assigned to me (a reassignment away from me still arrives: I am its previous assignee), the
// ticket's group queue otherwise, and every ticket in scope when it has no group. The page picks
// again after each reload, as the ticket moves.
export function ticketStreamUrl(ticket, me) {
  if (!ticket) return ''
  const q = new URLSearchParams()
  if (me && ticket.assignee === me) {
    q.set('view', 'QUEUE_VIEW_MY_QUEUE')
  } else if (ticket.group_id) {
    q.set('view', 'QUEUE_VIEW_GROUP_QUEUE')
    q.set('group_id', ticket.group_id)
  } else {
    q.set('view', 'QUEUE_VIEW_ALL')
  }
  return `/api/tickets/queue/stream?${q}`
}

// The last change in a WatchQueueResponse that names this ticket (null: not ours, no reload).
export function changeOf(message, ticketId) {
  const changes = ((message && message.changes) || []).filter((c) => c && c.ticket_id === ticketId)
  return changes.length ? changes[changes.length - 1] : null
}

// What the notice says of a change: the kind of event (a key under ops.work.liveEvents, 'other' for
// an event the page does not name), for an assignment the new assignee, and who made it (display
// name, else login name; empty for the service's own work such as the SLA clock).
const NAMED = ['comment_added', 'ticket_assigned', 'ticket_status_changed', 'ticket_resolved', 'ticket_closed',
  'ticket_reopened', 'ticket_escalated', 'ticket_reprioritised']
export function changeNotice(change) {
  const event = NAMED.includes(change.event) ? change.event : 'other'
  return { event, assignee: change.assignee || '', status: change.status || '',
    actor: change.actor_name || change.actor || '' }
}
