export default [
  {
    path: '/evaluation/grid', component: () => import('./NineGridView.vue'),
    meta: { menu: { group: 'management', label: 'evaluation.menu.grid', order: 20, permission: 'evaluation.read' } },
  },
  {
    path: '/evaluation/plans', component: () => import('./PlansView.vue'),
    meta: { menu: { group: 'management', label: 'evaluation.menu.plans', order: 30, permission: 'evaluation.read' } },
  },
  { path: '/evaluation/plans/:id', component: () => import('./PlanView.vue'), props: true },
  {
    path: '/evaluation/models', component: () => import('./ModelsView.vue'),
    meta: { menu: { group: 'management', label: 'evaluation.menu.models', order: 40, permission: 'evaluation.read' } },
  },
  {
    path: '/evaluation/loop', component: () => import('./LoopView.vue'),
    meta: { menu: { group: 'management', label: 'evaluation.menu.loop', order: 50, permission: 'evaluation.read' } },
  },
  {
    path: '/evaluation/vendors', component: () => import('./VendorResultsView.vue'),
    meta: { menu: { group: 'management', label: 'evaluation.menu.vendors', order: 55, permission: 'evaluation.read' } },
  },
  {
    path: '/evaluation/audit', component: () => import('./AuditTrailView.vue'),
    meta: { menu: { group: 'management', label: 'evaluation.menu.audit', order: 60, permission: 'evaluation.read' } },
  },
]
