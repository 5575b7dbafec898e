// Dates and SLA countdowns for display (Beijing time; the services store UTC).
export function formatTime(iso, locale) {
  if (!iso) return ''
  return new Date(iso).toLocaleString(locale === 'en' ? 'en-GB' : 'zh-CN', { timeZone: 'Asia/Shanghai', hour12: false })
}

export function duration(t, seconds) {
  const s = Math.abs(Math.round(seconds))
  const d = Math.floor(s / 86400)
  const h = Math.floor((s % 86400) / 3600)
  const m = Math.floor((s % 3600) / 60)
  const parts = []
  if (d) parts.push(t('duration.d', { n: d }))
  if (h || d) parts.push(t('duration.h', { n: h }))
  parts.push(t('duration.m', { n: m }))
  return parts.join(' ')
}

// {text, cls} of a ticket's resolution SLA at `now` (ms).
export function slaOf(t, ticket, now) {
  const closed = ['TICKET_STATUS_RESOLVED', 'TICKET_STATUS_CLOSED'].includes(ticket.status)
  const cls = `sla-${ticket.sla_state || 'ok'}`
  if (closed) return { text: t('sla.done'), cls: ticket.sla_state === 'breached' ? cls : '' }
  if (!ticket.resolution_due_at || ticket.sla_state === 'none') return { text: t('sla.none'), cls: '' }
  if (ticket.status === 'TICKET_STATUS_PENDING') return { text: t('sla.paused'), cls }
  const left = (new Date(ticket.resolution_due_at).getTime() - now) / 1000
  return left >= 0 ? { text: t('sla.left', { time: duration(t, left) }), cls }
    : { text: t('sla.overdue', { time: duration(t, left) }), cls: 'sla-breached' }
}
