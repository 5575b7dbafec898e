import { describe, expect, it } from 'vitest'
import { allPages, enumKey, money } from '../src/modules/budget/format.js'
import budgetRoutes from '../src/modules/budget/routes.js'
import outsourceRoutes from '../src/modules/outsource/routes.js'
import { daysLeft, expiryState } from '../src/modules/outsource/qualifications.js'

describe('money of the budget and outsourcing windows', () => {
  it('groups yuan from the decimal string, never through a float', () => {
    expect(money({ amount: '1234567.8', currency: 'CNY' })).toBe('¥1,234,567.80')
    expect(money({ amount: '90071992547409.93' })).toBe('¥90,071,992,547,409.93')
    expect(money({ amount: '-5.00' })).toBe('-¥5.00')
    expect(money(null)).toBe('—')
  })

  it('reads enum names as keys', () => {
    expect(enumKey('BUDGET_STATE_SUBMITTED', 'BUDGET_STATE_')).toBe('submitted')
    expect(enumKey('COMMITMENT_STATE_OVER_BUDGET', 'COMMITMENT_STATE_')).toBe('over_budget')
  })

  it('reads every page of a paged list', async () => {
    const pages = { '': { items: [1, 2], page: { next_page_token: 'a' } }, a: { items: [3], page: { next_page_token: '' } } }
    expect(await allPages(async (body) => pages[body.page.page_token], 'items')).toEqual([1, 2, 3])
  })
})

describe('qualification expiry', () => {
  it('is expired, soon (30 days, as the service warns) or fine', () => {
    expect(daysLeft('2026-12-23', '2026-12-03')).toBe(20)
    expect(expiryState('2026-12-02', '2026-12-03')).toBe('expired')
    expect(expiryState('2027-01-02', '2026-12-03')).toBe('soon')
    expect(expiryState('2027-01-03', '2026-12-03')).toBe('ok')
  })
})

describe('the management window', () => {
  it('puts budgets and outsourcing in the management menu behind their read permissions', () => {
    const menus = [...budgetRoutes, ...outsourceRoutes].filter((r) => r.meta && r.meta.menu).map((r) => r.meta.menu)
    expect(menus.every((m) => m.group === 'management')).toBe(true)
    expect(menus.map((m) => m.permission)).toEqual(['budget.read', 'budget.read', 'outsource.read', 'outsource.read'])
  })
})
