// The budget area (综合管理 window): budgets (compile, trace, approve, execution, export) and the
// quota standard. Every call is the user's own; the service enforces permissions and scope.
export default [
  {
    path: '/budget', component: () => import('./BudgetsView.vue'),
    meta: { menu: { group: 'management', label: 'budget.menu.budgets', order: 30, permission: 'budget.read' } },
  },
  { path: '/budget/budgets/:id', component: () => import('./BudgetView.vue'), props: true },
  {
    path: '/budget/standards', component: () => import('./StandardsView.vue'),
    meta: { menu: { group: 'management', label: 'budget.menu.standards', order: 31, permission: 'budget.read' } },
  },
  // drafting: a new standard, or (?from=<id>) a new version copied from another
  { path: '/budget/standards/new', component: () => import('./StandardEditView.vue') },
  { path: '/budget/standards/:id', component: () => import('./StandardView.vue'), props: true },
  { path: '/budget/standards/:id/edit', component: () => import('./StandardEditView.vue'), props: true },
]
