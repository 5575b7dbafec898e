// The knowledge base (知识库) in the operations window: search, read, write, publish and retire
// articles. Writers hold ticket.kb.write (service desk, engineers, leads); the service checks it.
export default [
  {
    path: '/kb', component: () => import('./KbListView.vue'),
    meta: { menu: { group: 'operations', label: 'kb.menu', order: 60, permission: 'ticket.kb.write' } },
  },
  { path: '/kb/new', component: () => import('./KbEditView.vue') },
  { path: '/kb/:id', component: () => import('./KbArticleView.vue'), props: true },
  { path: '/kb/:id/edit', component: () => import('./KbEditView.vue'), props: true },
]
