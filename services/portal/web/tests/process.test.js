import { describe, expect, it } from 'vitest'
import { optionMatches, pickerOptions } from '../src/modules/process/orgPickers.js'
import { checkSchemaText } from '../src/modules/process/schemaCheck.js'
import { nextKind, yearCsv, yearMonths } from '../src/modules/process/yearView.js'

describe('form schema check', () => {
  it('accepts an object schema and an empty text', () => {
    const ok = checkSchemaText('{"type":"object","properties":{"location":{"type":"string","title":"位置"}},"required":["location"]}')
    expect(ok.errors).toEqual([])
    expect(ok.schema.properties.location.title).toBe('位置')
    expect(checkSchemaText('  ')).toEqual({ schema: {}, errors: [] })
  })

  it('names what is wrong, in Chinese by default', () => {
    expect(checkSchemaText('{"type": "object",')).toMatchObject({ schema: null })
    expect(checkSchemaText('{"type": "object",').errors[0]).toMatch(/^JSON 格式错误/)
    const bad = checkSchemaText('{"type":"array","properties":{"a":{"type":"text"},"b":{"enum":[]}},"required":["c"]}')
    expect(bad.errors).toEqual(['顶层 "type" 必须是 "object"', '字段 "a" 的类型 "text" 无效', '字段 "b" 的 "enum" 必须是非空数组',
      '"required" 中的 "c" 不在 "properties" 里'])
    expect(checkSchemaText('[1]', 'en').errors).toEqual(['The form definition must be a JSON object'])
  })
})

describe('calendar year view', () => {
  it('lays a year out in weeks from Monday', () => {
    const months = yearMonths(2026)
    expect(months).toHaveLength(12)
    // 1 January 2026 is a Thursday: three empty cells first
    expect(months[0].weeks[0].slice(0, 4).map((d) => d && d.date)).toEqual([null, null, null, '2026-01-01'])
    const jan4 = months[0].weeks[0][6]
    expect(jan4).toMatchObject({ date: '2026-01-04', weekend: true })
    expect(months[1].weeks.flat().filter(Boolean)).toHaveLength(28)
  })

  it('cycles a weekday between workday and holiday, a weekend day through make-up workday and holiday', () => {
    expect(nextKind('', false)).toBe('holiday')
    expect(nextKind('holiday', false)).toBe('')
    expect(nextKind('', true)).toBe('workday')
    expect(nextKind('workday', true)).toBe('holiday')
    expect(nextKind('holiday', true)).toBe('')
  })

  it("writes the year's days as ImportCalendarYear's CSV", () => {
    expect(yearCsv({ '2027-10-01': 'holiday', '2027-09-26': 'workday', '2026-01-01': 'holiday' }, 2027))
      .toBe('date,kind\n2027-09-26,workday\n2027-10-01,holiday\n')
  })
})

describe('support group and position pickers', () => {
  const marks = { unknown: '未知', inactive: '停用' }
  const groups = [{ id: 'g-net', name: '网络组' }, { id: 'g-app', name: '应用组' }, { id: 'g-db', name: '数据库组' },
    { id: 'g-old', name: '安全组', active: false }]

  it('orders by the Chinese name in pinyin order and shows the id beside it', () => {
    const options = pickerOptions(groups, '', marks)
    expect(options.map((o) => o.name)).toEqual(['数据库组', '网络组', '应用组'])
    expect(options[0]).toMatchObject({ value: 'g-db', label: '数据库组 (g-db)', unknown: false })
  })

  it('keeps the stored id: unknown ones raw and marked, inactive ones named and marked', () => {
    const unknown = pickerOptions(groups, 'g-gone', marks)
    expect(unknown[0]).toEqual({ value: 'g-gone', name: 'g-gone', label: 'g-gone（未知）', unknown: true, inactive: false })
    expect(unknown).toHaveLength(4)
    const inactive = pickerOptions(groups, 'g-old', marks)
    expect(inactive.map((o) => o.label)).toEqual(['安全组 (g-old) · 停用', '数据库组 (g-db)', '网络组 (g-net)', '应用组 (g-app)'])
    expect(pickerOptions(groups, 'g-net', marks).some((o) => o.unknown)).toBe(false)
  })

  it('matches part of the name or of the id, ignoring case', () => {
    const [db] = pickerOptions(groups, '', marks)
    expect(optionMatches(db, '数据')).toBe(true)
    expect(optionMatches(db, ' G-D ')).toBe(true)
    expect(optionMatches(db, '')).toBe(true)
    expect(optionMatches(db, '网络')).toBe(false)
  })
})
