// Live KPIs in the browser: the gateway's Server-Sent Events (/api/kpis/stream, bridged from
// EvaluationService.WatchKpis) folded into a plain map, and the day series of GetKpiSeries rolled up
// into weeks and months. No polling: every change arrives on the stream.

// The KPIs the wall shows (docs/evaluation-kpis.md); the stream is filtered to them.
export const WALL_KPIS = [
  'tickets_created', 'tickets_open', 'tickets_resolved', 'sla_attainment_pct', 'response_time_mean_s',
  'resolution_time_mean_s', 'satisfaction_avg', 'satisfaction_count', 'sla_breaches',
]
export const PROCESSES = ['request', 'incident', 'problem', 'change']
export const WINDOWS = ['today', '7d', '30d', 'month', 'quarter', 'year', 'all']

// The KPIs of the trend chart (GetKpiSeries): enough to roll days up into weeks and months.
export const SERIES_KPIS = ['tickets_created', 'tickets_resolved', 'sla_attainment_pct', 'satisfaction_avg', 'satisfaction_count']

// The query string of the stream: repeated fields repeat the parameter (docs/portal.md). `window`
// may be a list (the wall's window and 'today' for the trend's live day).
export function streamUrl({ units, window, names = WALL_KPIS }) {
  const q = new URLSearchParams()
  for (const u of units) q.append('filter.org_unit_ids', u)
  for (const n of names) q.append('filter.names', n)
  for (const w of new Set([].concat(window))) q.append('filter.windows', w)
  q.set('include_snapshot', 'true')
  return `/api/kpis/stream?${q}`
}

// Opens the stream; onKpi(kpi, snapshot) for every value, onProblem(problem) once when the service
// refuses (the stream is then closed, or EventSource would retry a refusal forever). Returns close().
export function watchKpis(url, { onKpi, onProblem, onOpen }, EventSourceImpl = globalThis.EventSource) {
  const source = new EventSourceImpl(url, { withCredentials: true })
  source.addEventListener('open', () => onOpen && onOpen())
  source.addEventListener('kpi', (e) => {
    const data = JSON.parse(e.data)
    onKpi(data.kpi, Boolean(data.snapshot))
  })
  source.addEventListener('problem', (e) => {
    source.close()
    let problem = {}
    try { problem = JSON.parse(e.data) } catch { /* a malformed problem is still a refusal */ }
    onProblem && onProblem(problem)
  })
  return () => source.close()
}

// "fgw/group/grp-network" → {unit: 'fgw', kind: 'group', id: 'grp-network'}; "fgw" → kind 'unit';
// "fgw/incident" → kind 'process'.
export function parseSubject(subject) {
  const parts = subject.split('/')
  if (parts.length === 1) return { unit: parts[0], kind: 'unit', id: parts[0] }
  if (parts.length === 2) return { unit: parts[0], kind: 'process', id: parts[1] }
  return { unit: parts[0], kind: parts[1], id: parts.slice(2).join('/') }
}

// The subjects of one kind of a unit with their values: [{id, values: {name: value}}], by id.
export function rowsOf(values, unit, kind) {
  const rows = new Map()
  for (const [key, value] of Object.entries(values)) {
    const [subject, name] = key.split('|')
    const s = parseSubject(subject)
    if (s.unit !== unit || s.kind !== kind) continue
    if (!rows.has(s.id)) rows.set(s.id, { id: s.id, values: {} })
    rows.get(s.id).values[name] = value
  }
  return [...rows.values()].sort((a, b) => a.id.localeCompare(b.id))
}

function isoDate(d) {
  return d.toISOString().slice(0, 10)
}

// The days of a trend granularity ending today (a UTC+8 calendar day as YYYY-MM-DD): 30 days by day,
// 12 weeks by week, 12 months by month (at most the series' 400 days).
export function seriesRange(granularity, today) {
  const end = new Date(`${today}T00:00:00Z`)
  const start = new Date(end)
  if (granularity === 'week') {
    start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7) - 7 * 11)
  } else if (granularity === 'month') {
    start.setUTCDate(1)
    start.setUTCMonth(start.getUTCMonth() - 11)
  } else {
    start.setUTCDate(start.getUTCDate() - 29)
  }
  return { start: isoDate(start), end: isoDate(end) }
}

function bucketOf(date, granularity) {
  if (granularity === 'month') return date.slice(0, 7)
  if (granularity === 'week') {
    const d = new Date(`${date}T00:00:00Z`)
    d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7))
    return isoDate(d)
  }
  return date
}

// Day points → buckets: counts add; the SLA attainment is weighted by the day's resolved tickets and
// the satisfaction by the day's ratings, which gives exactly the bucket's own ratio.
export function rollUp(points, granularity) {
  const buckets = new Map()
  for (const p of points) {
    const key = bucketOf(p.date, granularity)
    if (!buckets.has(key)) buckets.set(key, { created: 0, resolved: 0, slaWeighted: 0, ratings: 0, ratingSum: 0 })
    const b = buckets.get(key)
    const v = p.values || {}
    const resolved = v.tickets_resolved || 0
    b.created += v.tickets_created || 0
    b.resolved += resolved
    if (v.sla_attainment_pct !== undefined) b.slaWeighted += v.sla_attainment_pct * resolved
    if (v.satisfaction_avg !== undefined) {
      b.ratings += v.satisfaction_count || 0
      b.ratingSum += v.satisfaction_avg * (v.satisfaction_count || 0)
    }
  }
  return [...buckets.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([bucket, b]) => ({
    bucket,
    created: b.created,
    resolved: b.resolved,
    sla: b.resolved ? Math.round((b.slaWeighted / b.resolved) * 10) / 10 : null,
    satisfaction: b.ratings ? Math.round((b.ratingSum / b.ratings) * 100) / 100 : null,
  }))
}

// Today as a UTC+8 calendar day (the KPI windows' calendar).
export function todayCst(now = new Date()) {
  return isoDate(new Date(now.getTime() + 8 * 3600 * 1000))
}

// A pushed 'today' KPI as {name, date, value} for the trend, or null for any other KPI. Its day is
// the UTC+8 day it last changed on: a value unchanged since yesterday is yesterday's end of day.
export function livePoint(kpi, now = new Date()) {
  if (!kpi || kpi.window !== 'today' || !SERIES_KPIS.includes(kpi.name)) return null
  const at = kpi.updated_at ? new Date(kpi.updated_at) : now
  return { name: kpi.name, date: todayCst(Number.isNaN(at.getTime()) ? now : at), value: kpi.value }
}

// The day series with the live values laid over it ({name: {date, value}} from livePoint): the
// pushed value replaces that day's stored one, and a day the series does not have yet (today
// before its first reload, or past midnight) is added in order; a value from before `from` (the
// series' first day) is left out rather than drawn as a stray bucket. The inputs are not changed.
export function withLive(points, live, from = '') {
  const byDate = new Map(points.map((p) => [p.date, { ...p, values: { ...(p.values || {}) } }]))
  for (const [name, { date, value }] of Object.entries(live || {})) {
    if (date < from) continue
    if (!byDate.has(date)) byDate.set(date, { date, values: {} })
    byDate.get(date).values[name] = value
  }
  return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date))
}
