export default [
  {
    path: '/kpi', component: () => import('./KpiWall.vue'),
    meta: { menu: { group: 'management', label: 'kpi.menu', order: 10, permission: 'evaluation.read' } },
  },
]
