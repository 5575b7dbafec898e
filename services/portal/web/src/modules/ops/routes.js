// The operations window (运行管理): work queues and working a ticket, for O&M staff (ticket.work).
export default [
  {
    path: '/ops/queue', component: () => import('./QueueView.vue'),
    meta: { menu: { group: 'operations', label: 'ops.menu.queue', order: 10, permission: 'ticket.work' } },
  },
  { path: '/ops/tickets/:id', component: () => import('./WorkView.vue'), props: true },
]
