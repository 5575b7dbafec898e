import { beforeEach, describe, expect, it } from 'vitest'
import { menuGroups } from '../src/menu.js'
import { auth } from '../src/store.js'

const routes = [
  { path: '/tickets', meta: { menu: { group: 'service', label: 'app.myTickets', order: 20, permission: 'ticket.read' } } },
  { path: '/catalogue', meta: { menu: { group: 'service', label: 'app.catalogue', order: 10, permission: 'ticket.create' } } },
  { path: '/queue', meta: { menu: { group: 'operations', label: 'ops.queue', permission: ['ticket.work', 'ticket.assign'] } } },
  { path: '/tickets/:id', meta: {} },
]

describe('the main menu', () => {
  beforeEach(() => { auth.user = null })

  it('shows a requester their window only, in order', () => {
    auth.user = { permissions: ['ticket.read', 'ticket.create'] }
    expect(menuGroups(routes)).toEqual([{ group: 'service', items: [
      { path: '/catalogue', label: 'app.catalogue', order: 10 }, { path: '/tickets', label: 'app.myTickets', order: 20 }] }])
  })

  it('shows an entry to a user holding any of its permissions, and everything to "*"', () => {
    auth.user = { permissions: ['ticket.assign'] }
    expect(menuGroups(routes).map((g) => g.group)).toEqual(['operations'])
    auth.user = { permissions: ['*'] }
    expect(menuGroups(routes).map((g) => g.group)).toEqual(['service', 'operations'])
  })

  it('refuses a route naming a group that does not exist', () => {
    auth.user = { permissions: ['*'] }
    expect(() => menuGroups([{ path: '/x', meta: { menu: { group: 'nowhere', label: 'x' } } }])).toThrow(/nowhere/)
  })
})
