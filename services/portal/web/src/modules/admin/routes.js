// Administration (系统管理): the organisation, support groups and rosters, roles and grants, and the
// configuration base. The menu shows a page only to holders of the permission its writes need;
// the services check every call anyway.
export default [
  {
    path: '/admin/org', component: () => import('./OrgView.vue'),
    meta: { menu: { group: 'admin', label: 'admin.menu.org', order: 10, permission: 'org.admin' } },
  },
  {
    path: '/admin/staff', component: () => import('./StaffView.vue'),
    meta: { menu: { group: 'admin', label: 'admin.menu.staff', order: 20, permission: 'org.admin' } },
  },
  {
    path: '/admin/groups', component: () => import('./GroupsView.vue'),
    meta: { menu: { group: 'admin', label: 'admin.menu.groups', order: 30, permission: 'org.admin' } },
  },
  {
    path: '/admin/users', component: () => import('./UsersView.vue'),
    meta: { menu: { group: 'admin', label: 'admin.menu.users', order: 35, permission: 'org.identity' } },
  },
  {
    path: '/admin/roles', component: () => import('./RolesView.vue'),
    meta: { menu: { group: 'admin', label: 'admin.menu.roles', order: 40, permission: 'org.grant' } },
  },
  {
    path: '/admin/assets', component: () => import('./AssetsView.vue'),
    meta: { menu: { group: 'admin', label: 'admin.menu.assets', order: 50, permission: 'budget.asset.write' } },
  },
]
