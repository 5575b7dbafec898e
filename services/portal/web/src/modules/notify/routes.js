// The notification centre (every signed-in staff member and requester: notify.self) and the
// administrator's delivery log and template editor (notify.admin).
export default [
  {
    path: '/notify/inbox', component: () => import('./NotificationsView.vue'),
    meta: { menu: { group: 'service', label: 'notify.menu.inbox', order: 90, permission: 'notify.self' } },
  },
  {
    path: '/notify/deliveries', component: () => import('./DeliveriesView.vue'),
    meta: { menu: { group: 'admin', label: 'notify.menu.deliveries', order: 60, permission: 'notify.admin' } },
  },
  {
    path: '/notify/templates', component: () => import('./TemplatesView.vue'),
    meta: { menu: { group: 'admin', label: 'notify.menu.templates', order: 61, permission: 'notify.admin' } },
  },
]
