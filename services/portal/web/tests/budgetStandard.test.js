import { describe, expect, it } from 'vitest'
import {
  emptyForm, firstPartWithProblems, fromStandard, newRow, placeViolations, ratePercent, toRequest,
} from '../src/modules/budget/standardForm.js'

const APPROVED = {
  id: 's-1', code: 'STD', version: 2, name: '定额', effective_from: '2026-01-01', effective_to: '',
  default_region: '省会城市', note: '说明', state: 'STANDARD_STATE_APPROVED',
  body: {
    rate_rules: [{ asset_kind: 'server', fee_item: 'hw_upkeep', rate: '0.055', service_content: 'hw' }],
    labour_costs: [{ staff_grade: '工程师', region: '省会城市', yuan_per_person_month: { amount: '22000.00', currency: 'CNY' } }],
    spare_parts: [{ asset_kind: 'server', fee_item: 'hw_spare_parts', yuan_per_unit: { amount: '1200.00', currency: 'CNY' } }],
    // proto3 JSON leaves out empty fields and lists
    coefficients: [{ dimension: 'protection_level', value: '3', factor: '1.1' }],
  },
}

describe('quota standard editor model', () => {
  it('copies an approved version into a new draft of the same code, money as its amount text', () => {
    const form = fromStandard(APPROVED, { asNewVersion: true })
    expect(form.from).toEqual({ id: 's-1', label: 'STD v2' })
    expect(form.code).toBe('STD')
    expect(form.labour_costs[0].yuan_per_person_month).toBe('22000.00')
    expect(form.spare_parts[0].yuan_per_unit).toBe('1200.00')
    expect(form.coefficients[0]).toEqual({ dimension: 'protection_level', value: '3', factor: '1.1', name: '' })
    expect(form.workload_standards).toEqual([])
    expect(fromStandard(APPROVED).from).toBeUndefined()
  })

  it('sends a CreateStandard with the code and an UpdateStandard with the id, money as Money, text trimmed', () => {
    const form = fromStandard(APPROVED, { asNewVersion: true })
    form.rate_rules[0].rate = ' 0.06 '
    form.spare_parts.push({ ...newRow('spare_parts'), asset_kind: 'security_device', yuan_per_unit: '5000' })
    const create = toRequest(form)
    expect(create.code).toBe('STD')
    expect(create.id).toBeUndefined()
    expect(create.body.rate_rules[0].rate).toBe('0.06')
    expect(create.body.spare_parts[1]).toEqual({ asset_kind: 'security_device', fee_item: 'hw_spare_parts',
      yuan_per_unit: { amount: '5000', currency: 'CNY' } })
    expect(create.body.labour_costs[0].yuan_per_person_month).toEqual({ amount: '22000.00', currency: 'CNY' })
    const update = toRequest(form, { id: 's-9' })
    expect(update.id).toBe('s-9')
    expect(update.code).toBeUndefined()
    expect(Object.keys(update.body)).toEqual(Object.keys(create.body))
  })

  it('starts a blank standard with every part empty and new rows with the usual fee item', () => {
    const form = emptyForm()
    expect(form.rate_rules).toEqual([])
    expect(newRow('spare_parts').fee_item).toBe('hw_spare_parts')
    expect(newRow('consumables').fee_item).toBe('consumables')
    expect(toRequest(form).body.service_contents).toEqual([])
  })

  it('shows a rate fraction as the percent a standard is written in, without floats', () => {
    expect(ratePercent('0.055')).toBe('5.5%')
    expect(ratePercent('0.06')).toBe('6%')
    expect(ratePercent('0.1234567')).toBe('12.34567%')
    expect(ratePercent('1')).toBe('100%')
    expect(ratePercent('.5')).toBe('50%')
    expect(ratePercent('6%')).toBe('')
    expect(ratePercent('')).toBe('')
  })

  it('places the service violations on their cells, whole-row reasons and header fields apart', () => {
    const placed = placeViolations([
      { field: 'name', description: 'must not be empty' },
      { field: 'rate_rules[0].rate', description: "must be a decimal number, got '6%'" },
      { field: 'rate_rules[0].rate', description: 'a second reason for the same cell is dropped' },
      { field: 'spare_parts[1]', description: 'overlaps spare_parts[0]: both price asset kind server' },
      { field: 'labour_costs[2].yuan_per_person_month.currency', description: 'must be CNY' },
    ])
    expect(placed.head).toEqual({ name: 'must not be empty' })
    expect(placed.rows.rate_rules).toEqual({ 0: { rate: "must be a decimal number, got '6%'" } })
    expect(placed.rows.spare_parts[1]['']).toMatch(/^overlaps/)
    expect(placed.rows.labour_costs[2].yuan_per_person_month).toBe('must be CNY')
    expect(firstPartWithProblems(placed)).toBe('rate_rules')
    expect(firstPartWithProblems(placeViolations([{ field: 'coefficients[0].value', description: 'x' }]))).toBe('coefficients')
    expect(firstPartWithProblems(placeViolations([{ field: 'code', description: 'x' }]))).toBe('')
  })
})
