import { describe, expect, it } from 'vitest'
import { livePoint, rollUp, rowsOf, seriesRange, streamUrl, todayCst, watchKpis, withLive } from '../src/modules/kpi/live.js'
import { cellIndicators, dataSource, formatValue, heatColour } from '../src/modules/evaluation/shared.js'

describe('the KPI wall', () => {
  it('asks the stream for its units, names and window, repeating the parameters', () => {
    const url = new URL(streamUrl({ units: ['gov', 'fgw'], window: 'today', names: ['tickets_open'] }), 'http://x')
    expect(url.pathname).toBe('/api/kpis/stream')
    expect(url.searchParams.getAll('filter.org_unit_ids')).toEqual(['gov', 'fgw'])
    expect(url.searchParams.getAll('filter.windows')).toEqual(['today'])
    expect(url.searchParams.get('include_snapshot')).toBe('true')
  })

  it('folds kpi events and stops at a problem instead of retrying it', () => {
    const sources = []
    class FakeSource {
      constructor(url) { this.url = url; this.listeners = {}; this.closed = false; sources.push(this) }
      addEventListener(type, fn) { this.listeners[type] = fn }
      close() { this.closed = true }
    }
    const seen = []
    let problem = null
    watchKpis('/api/kpis/stream', { onKpi: (k, s) => seen.push([k.name, k.value, s]), onProblem: (p) => { problem = p } }, FakeSource)
    sources[0].listeners.kpi({ data: JSON.stringify({ kpi: { subject: 'gov', name: 'tickets_created', value: 3 }, snapshot: true }) })
    sources[0].listeners.kpi({ data: JSON.stringify({ kpi: { subject: 'gov', name: 'tickets_created', value: 4 } }) })
    expect(seen).toEqual([['tickets_created', 3, true], ['tickets_created', 4, false]])
    sources[0].listeners.problem({ data: JSON.stringify({ code: 'PERMISSION_DENIED' }) })
    expect(problem.code).toBe('PERMISSION_DENIED')
    expect(sources[0].closed).toBe(true)
  })

  it('groups subjects of a unit by kind', () => {
    const values = { 'fgw|tickets_open': 5, 'fgw/group/grp-net|tickets_open': 2, 'fgw/staff/s1|tickets_open': 1,
      'fgw/incident|tickets_created': 4, 'czj/group/grp-net|tickets_open': 9 }
    expect(rowsOf(values, 'fgw', 'group')).toEqual([{ id: 'grp-net', values: { tickets_open: 2 } }])
    expect(rowsOf(values, 'fgw', 'staff').map((r) => r.id)).toEqual(['s1'])
    expect(rowsOf(values, 'fgw', 'process')).toEqual([{ id: 'incident', values: { tickets_created: 4 } }])
  })

  it('rolls days up into weeks and months with exact ratios', () => {
    const points = [
      { date: '2026-11-30', values: { tickets_created: 2, tickets_resolved: 1, sla_attainment_pct: 100 } },
      { date: '2026-12-01', values: { tickets_created: 3, tickets_resolved: 3, sla_attainment_pct: 0, satisfaction_avg: 4, satisfaction_count: 2 } },
      { date: '2026-12-02', values: {} },
    ]
    expect(rollUp(points, 'week')).toEqual([{ bucket: '2026-11-30', created: 5, resolved: 4, sla: 25, satisfaction: 4 }])
    expect(rollUp(points, 'month').map((b) => [b.bucket, b.created, b.sla])).toEqual([['2026-11', 2, 100], ['2026-12', 3, 0]])
    expect(rollUp(points, 'day')[2]).toEqual({ bucket: '2026-12-02', created: 0, resolved: 0, sla: null, satisfaction: null })
  })

  it('asks once for each window, the wall\'s and today\'s for the trend', () => {
    const url = new URL(streamUrl({ units: ['gov'], window: ['7d', 'today'] }), 'http://x')
    expect(url.searchParams.getAll('filter.windows')).toEqual(['7d', 'today'])
    expect(new URL(streamUrl({ units: ['gov'], window: ['today', 'today'] }), 'http://x')
      .searchParams.getAll('filter.windows')).toEqual(['today'])
  })

  it('takes only today-window trend KPIs from the stream, dated by their last change in UTC+8', () => {
    // 2026-12-03 17:00 UTC is already 12-04 in Beijing
    expect(livePoint({ name: 'tickets_created', window: 'today', value: 5, updated_at: '2026-12-03T17:00:00Z' }))
      .toEqual({ name: 'tickets_created', date: '2026-12-04', value: 5 })
    expect(livePoint({ name: 'tickets_created', window: '7d', value: 5, updated_at: '2026-12-03T17:00:00Z' })).toBe(null)
    expect(livePoint({ name: 'tickets_open', window: 'today', value: 5 })).toBe(null)
    expect(livePoint({ name: 'tickets_resolved', window: 'today', value: 2 }, new Date('2026-12-03T01:00:00Z')))
      .toEqual({ name: 'tickets_resolved', date: '2026-12-03', value: 2 })
  })

  it('lays pushed values over the day series: today changes, other days and names stay', () => {
    const series = [
      { date: '2026-12-02', values: { tickets_created: 4, tickets_resolved: 4, sla_attainment_pct: 100 } },
      { date: '2026-12-03', values: { tickets_created: 1, tickets_resolved: 0 } },
    ]
    const merged = withLive(series, { tickets_created: { date: '2026-12-03', value: 2 } }, '2026-11-04')
    expect(merged).toEqual([series[0], { date: '2026-12-03', values: { tickets_created: 2, tickets_resolved: 0 } }])
    expect(series[1].values.tickets_created).toBe(1)
    // after midnight the new day is appended; the weekly roll-up adds it in
    const next = withLive(series, { tickets_created: { date: '2026-12-04', value: 3 } }, '2026-11-04')
    expect(next.map((p) => p.date)).toEqual(['2026-12-02', '2026-12-03', '2026-12-04'])
    expect(rollUp(next, 'week')).toEqual([{ bucket: '2026-11-30', created: 8, resolved: 4, sla: 100, satisfaction: null }])
    // a value last changed before the chart's first day is not drawn as a stray bucket
    expect(withLive(series, { tickets_created: { date: '2026-10-01', value: 9 } }, '2026-11-04')).toEqual(series)
  })

  it('picks the ranges of each granularity within the series limit', () => {
    expect(seriesRange('day', '2026-12-03')).toEqual({ start: '2026-11-04', end: '2026-12-03' })
    expect(seriesRange('week', '2026-12-03')).toEqual({ start: '2026-09-14', end: '2026-12-03' })
    expect(seriesRange('month', '2026-12-03')).toEqual({ start: '2026-01-01', end: '2026-12-03' })
    expect(todayCst(new Date('2026-12-03T17:00:00Z'))).toBe('2026-12-04')
  })
})

describe('the nine-grid', () => {
  const t = (key, args) => `${key}${args ? JSON.stringify(args) : ''}`
  it('shows values in their unit and colours scores like the report', () => {
    expect(formatValue(7200, '秒')).toBe('2 h')
    expect(formatValue(92.456, '%')).toBe('92.46%')
    expect(formatValue(undefined, '%')).toBe('—')
    expect(heatColour(undefined)).toBe('#dcdfe6')
    expect(heatColour(0)).toBe('rgb(245,108,108)')
    expect(heatColour(100)).toBe('rgb(103,194,58)')
  })

  it('opens a cell with its indicators and their data source from the model', () => {
    const result = { indicators: [
      { code: 'a', level: 'LEVEL_ORGANIZATION', dimension: 'DIMENSION_GOALS', manual: false },
      { code: 'b', level: 'LEVEL_ORGANIZATION', dimension: 'DIMENSION_DESIGN', manual: true },
    ] }
    const model = { indicators: [{ code: 'a', kind: 'INDICATOR_KIND_KPI', kpi: 'sla_attainment_pct' }] }
    const rows = cellIndicators(result, model, 'organization', 'goals')
    expect(rows.map((r) => r.code)).toEqual(['a'])
    expect(dataSource(t, rows[0])).toBe('evaluation.source.kpi{"k":"sla_attainment_pct"}')
    expect(dataSource(t, cellIndicators(result, model, 'organization', 'design')[0])).toBe('evaluation.source.manual')
  })
})
