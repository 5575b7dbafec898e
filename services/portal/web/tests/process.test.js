import { describe, expect, it } from 'vitest'
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
