import { beforeEach, describe, expect, it } from 'vitest'
import { menuGroups } from '../src/menu.js'
import routes from '../src/modules/dept/routes.js'
import { auth } from '../src/store.js'

describe("my department's tickets", () => {
  beforeEach(() => { auth.user = null })

  it('is in the service window for the holders of ticket.department.read only', () => {
    auth.user = { permissions: ['ticket.read', 'ticket.create'] } // a requester
    expect(menuGroups(routes)).toEqual([])
    auth.user = { permissions: ['ticket.read', 'ticket.department.read'] } // the department's O&M officer
    expect(menuGroups(routes)).toEqual([{ group: 'service', items: [
      { path: '/department/tickets', label: 'dept.title', order: 30 }] }])
  })
})
