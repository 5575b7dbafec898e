import { afterEach, describe, expect, it, vi } from 'vitest'
import { changeNotice, changeOf, coalesced, ticketStreamUrl, useLiveQueue } from '../src/modules/ops/liveQueue.js'

const ID = '7d7b1c9e-0000-4000-8000-000000000001'

describe('the live ticket page', () => {
  it('listens to my queue while the ticket is mine, else its group, else everything in scope', () => {
    expect(ticketStreamUrl({ assignee: 's-li', group_id: 'grp-net' }, 's-li'))
      .toBe('/api/tickets/queue/stream?view=QUEUE_VIEW_MY_QUEUE')
    expect(ticketStreamUrl({ assignee: 's-wang', group_id: 'grp-net' }, 's-li'))
      .toBe('/api/tickets/queue/stream?view=QUEUE_VIEW_GROUP_QUEUE&group_id=grp-net')
    expect(ticketStreamUrl({ assignee: '', group_id: '' }, 's-li')).toBe('/api/tickets/queue/stream?view=QUEUE_VIEW_ALL')
    // An unassigned ticket is not "mine" for a user without a staff id.
    expect(ticketStreamUrl({ assignee: '', group_id: 'grp-net' }, '')).toContain('QUEUE_VIEW_GROUP_QUEUE')
    expect(ticketStreamUrl(null, 's-li')).toBe('')
  })

  it('reloads only for a change that names this ticket, and takes the last one', () => {
    const other = { ticket_id: 'other', event: 'comment_added' }
    expect(changeOf({ changes: [other] }, ID)).toBeNull()
    expect(changeOf({}, ID)).toBeNull()
    expect(changeOf(null, ID)).toBeNull()
    const message = { changes: [{ ticket_id: ID, event: 'comment_added' }, other, { ticket_id: ID, event: 'ticket_assigned', assignee: 's-wang' }] }
    expect(changeOf(message, ID)).toEqual({ ticket_id: ID, event: 'ticket_assigned', assignee: 's-wang' })
  })

  it('names the kind of change, with the new assignee; an unknown event is a plain change', () => {
    expect(changeNotice({ event: 'ticket_assigned', assignee: 's-wang' }))
      .toEqual({ event: 'ticket_assigned', assignee: 's-wang', status: '', actor: '' })
    // who made it: the display name the stream carries, else the login name
    expect(changeNotice({ event: 'comment_added', actor: 'ops-lead', actor_name: '赵组长' }).actor).toBe('赵组长')
    expect(changeNotice({ event: 'comment_added', actor: 'ops-lead', actor_name: '' }).actor).toBe('ops-lead')
    expect(changeNotice({ event: 'comment_added' }).event).toBe('comment_added')
    expect(changeNotice({ event: 'sla_warning' }).event).toBe('other')
  })

  it('runs one reload at a time and one more for what came meanwhile', async () => {
    let calls = 0
    let release
    const run = coalesced(() => { calls += 1; return new Promise((r) => { release = r }) })
    const first = run()
    run()
    run()
    expect(calls).toBe(1)
    release()
    await Promise.resolve()
    await Promise.resolve()
    expect(calls).toBe(2)
    release()
    await first
    expect(calls).toBe(2)
  })
})

class FakeSource {
  static last = null
  constructor(url) { this.url = url; this.handlers = {}; this.closed = false; FakeSource.last = this }
  addEventListener(name, fn) { this.handlers[name] = fn }
  emit(name, data) { this.handlers[name]({ data: JSON.stringify(data) }) }
  close() { this.closed = true }
}

describe('the shared stream', () => {
  afterEach(() => { vi.unstubAllGlobals(); vi.useRealTimers() })

  it('passes changes on, and when the server is full goes offline and tries again a minute later', () => {
    vi.stubGlobal('EventSource', FakeSource)
    vi.useFakeTimers()
    const changes = []
    const busy = []
    let opened = 0
    const s = useLiveQueue({ onChange: (m) => changes.push(m), onBusy: (b) => busy.push(b), onOpen: () => { opened += 1 } })
    s.connect('/api/tickets/queue/stream?view=QUEUE_VIEW_MY_QUEUE')
    const first = FakeSource.last
    first.onopen()
    expect(s.live.value).toBe(true)
    expect(opened).toBe(1)
    first.emit('queue', { changes: [{ ticket_id: ID }] })
    expect(changes).toEqual([{ changes: [{ ticket_id: ID }] }])
    first.emit('problem', { code: 'UNAVAILABLE' })
    expect(first.closed).toBe(true)
    expect(s.live.value).toBe(false)
    expect(busy).toEqual([true])
    vi.advanceTimersByTime(60000)
    expect(busy).toEqual([true, false])
    expect(FakeSource.last).not.toBe(first)
    expect(FakeSource.last.url).toBe(first.url)
    FakeSource.last.onopen()
    expect(opened).toBe(2)
    s.close()
    expect(FakeSource.last.closed).toBe(true)
  })
})
