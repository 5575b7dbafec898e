// "My department's tickets" (本部门工单) for the department's O&M officer: every ticket of the units in
// their scope (TicketService.ListDepartmentTickets, permission ticket.department.read).
export default [
  {
    path: '/department/tickets',
    component: () => import('./DepartmentTicketsView.vue'),
    meta: { menu: { group: 'service', label: 'dept.title', order: 30, permission: 'ticket.department.read' } },
  },
]
