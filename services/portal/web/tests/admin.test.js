import { describe, expect, it } from 'vitest'
import { staleVersion } from '../src/modules/kb/stale.js'
import { clock, dayOf, grantLabels, importErrors, lastPublisher, moveShift, reasonZh, unitTree, userStateTag, weekStart } from '../src/modules/admin/common.js'

describe('admin helpers', () => {
  it('labels a user\'s grants by role and unit name, marking subtree grants, codes when unknown', () => {
    const roleName = (c) => ({ requester: '报障人' }[c] || c)
    const unitName = (id) => ({ fgw: '发展和改革委员会' }[id] || id)
    const grants = [{ role: 'requester', org_unit_id: 'fgw', subtree: true }, { role: 'custom', org_unit_id: 'gone' }]
    expect(grantLabels(grants, roleName, unitName, '（含下级）')).toEqual(['报障人 · 发展和改革委员会（含下级）', 'custom · gone'])
    expect(grantLabels(undefined, roleName, unitName, '')).toEqual([])
  })

  it('tags a user\'s state, an unknown one neutrally', () => {
    expect(['USER_STATE_ACTIVE', 'USER_STATE_LOCKED', 'USER_STATE_DISABLED', undefined].map(userStateTag))
      .toEqual(['success', 'warning', 'info', 'info'])
  })

  it('lists an import report by row and column, file-level problems first', () => {
    const rows = importErrors([
      { field: 'rows[4].kind', description: "unknown asset kind 'toaster'" },
      { field: 'rows[3].original_value', description: 'must not be negative (got -5)' },
      { field: 'rows[5]', description: 'not valid UTF-8' },
      { field: 'rows', description: 'the file holds no asset rows' },
    ])
    expect(rows.map((r) => [r.row, r.column])).toEqual([[null, 'rows'], [3, 'original_value'], [4, 'kind'], [5, '']])
  })

  it('reads common reasons in Chinese and leaves the others alone', () => {
    expect(reasonZh('must not be negative (got -5)')).toBe('不能为负数')
    expect(reasonZh('must be between 1 and 4, got 9')).toBe('应在 1 到 4 之间')
    expect(reasonZh('duplicate asset code A-1 (also in row 2)')).toBe('资产编号与第 2 行重复')
    expect(reasonZh('something new')).toBe('')
  })

  it('starts a week on Monday 00:00 Beijing time', () => {
    // Sunday 2026-12-06 23:30 in Beijing is 15:30 UTC: still the week of Monday 2026-11-30
    expect(weekStart(new Date('2026-12-06T15:30:00Z')).toISOString()).toBe('2026-11-29T16:00:00.000Z')
    // Monday 2026-12-07 00:10 in Beijing
    expect(weekStart(new Date('2026-12-06T16:10:00Z')).toISOString()).toBe('2026-12-06T16:00:00.000Z')
  })

  it('moves a shift to another person and day keeping its time of day and length', () => {
    const start = new Date('2026-11-29T16:00:00Z') // Monday 2026-11-30, Beijing
    const overnight = { staff_id: 'E1', starts_at: '2026-11-30T09:30:00Z', ends_at: '2026-12-01T00:30:00Z' } // Mon 17:30 → Tue 08:30
    expect(dayOf(start, overnight.starts_at)).toBe(0)
    const moved = moveShift(overnight, start, 'E2', 3)
    expect(moved).toEqual({ staff_id: 'E2', starts_at: '2026-12-03T09:30:00.000Z', ends_at: '2026-12-04T00:30:00.000Z' })
    expect([clock(moved.starts_at), clock(moved.ends_at)]).toEqual(['17:30', '08:30'])
  })

  it('builds the unit tree with orphans as roots', () => {
    const tree = unitTree([{ id: 'gov', parent_id: '' }, { id: 'fgw', parent_id: 'gov' }, { id: 'x', parent_id: 'gone' }])
    expect(tree.map((n) => n.id)).toEqual(['gov', 'x'])
    expect(tree[0].children.map((n) => n.id)).toEqual(['fgw'])
  })
})

describe('roster refusals', () => {
  it('read in Chinese', () => {
    expect(reasonZh('adm-E1 already has an overlapping shift 2026-12-03T07:30:00+00:00–2026-12-03T15:30:00+00:00')).toBe('与此人的另一班次时间重叠')
    expect(reasonZh('E2 is already on duty in net 2026-12-03T07:30:00+00:00–2026-12-03T15:30:00+00:00')).toBe('此时已在支持组 net 值班')
  })

  it('recognises a roster refused as stale, whose versions are digests rather than numbers', () => {
    const err = { code: 'FAILED_PRECONDITION', violations: [{ field: 'expected_version', description: 'is 3fa0c2d41b7e9a10 but the current version is 9c1e77ab02d4f3e5' }] }
    expect(staleVersion(err)).toEqual({ current: null })
    expect(staleVersion({ code: 'INVALID_ARGUMENT', violations: [{ field: 'shifts[0]', description: 'x' }] })).toBeNull()
  })

  it('names the last publisher with the login beside the display name, at Beijing time', () => {
    // 10:32 UTC on 3 December is 18:32 in Beijing
    expect(lastPublisher({ last_published_by: 'zhang', last_published_by_name: '张组长', last_published_at: '2026-12-03T10:32:05Z' }))
      .toEqual({ name: '张组长（zhang）', at: '12-03 18:32' })
    expect(lastPublisher({ last_published_by: 'zhang', last_published_by_name: '张组长', last_published_at: '2026-12-03T10:32:05Z' }, 'en').name)
      .toBe('张组长 (zhang)')
    // past midnight in Beijing: the next day
    expect(lastPublisher({ last_published_by: 'sa:hr-sync', last_published_by_name: 'sa:hr-sync', last_published_at: '2026-12-31T16:05:00Z' }))
      .toEqual({ name: 'sa:hr-sync', at: '01-01 00:05' })
    // nothing recorded (proto JSON leaves the empty fields out)
    expect(lastPublisher({ shifts: [], version: 'e3b0c44298fc1c14' })).toBeNull()
    expect(lastPublisher(null)).toBeNull()
  })
})
