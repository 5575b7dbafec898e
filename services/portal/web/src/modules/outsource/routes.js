// The outsourcing area (综合管理 window): vendors with qualifications and scorecards, projects
// through procurement → contract → acceptance, contracts with SLA terms and penalties, payments
// against budget, and monthly vendor SLA reports with the tickets behind each miss.
export default [
  {
    path: '/outsource/projects', component: () => import('./ProjectsView.vue'),
    meta: { menu: { group: 'management', label: 'outsource.menu.projects', order: 40, permission: 'outsource.read' } },
  },
  { path: '/outsource/projects/:id', component: () => import('./ProjectView.vue'), props: true },
  {
    path: '/outsource/vendors', component: () => import('./VendorsView.vue'),
    meta: { menu: { group: 'management', label: 'outsource.menu.vendors', order: 41, permission: 'outsource.read' } },
  },
  { path: '/outsource/vendors/:id', component: () => import('./VendorView.vue'), props: true },
  { path: '/outsource/reports/:id', component: () => import('./SlaReportView.vue'), props: true },
]
