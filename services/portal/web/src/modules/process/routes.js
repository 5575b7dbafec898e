// Administration of the process platform (流程平台): the service catalogue and its forms, SLA
// policies and business calendars. The menu shows what the user's permissions allow; the ticket
// service checks them (ticket.catalogue.write; ticket.admin for policies and calendars).
export default [
  {
    path: '/admin/catalogue', component: () => import('./CatalogueAdminView.vue'),
    meta: { menu: { group: 'admin', label: 'process.menuCatalogue', order: 60, permission: 'ticket.catalogue.write' } },
  },
  {
    path: '/admin/sla', component: () => import('./SlaPoliciesView.vue'),
    meta: { menu: { group: 'admin', label: 'process.menuSla', order: 61, permission: 'ticket.admin' } },
  },
  {
    path: '/admin/calendars', component: () => import('./CalendarView.vue'),
    meta: { menu: { group: 'admin', label: 'process.menuCalendars', order: 62, permission: 'ticket.admin' } },
  },
]
