export default {
  'zh-CN': {
    dept: {
      title: '本部门工单', unit: '部门', allUnits: '全部部门', filterUnit: '按部门筛选', requester: '提交人',
      sort: '排序', sortCreated: '最新提交', sortSla: 'SLA 到期最早', refused: '您没有查看本部门工单的权限',
    },
  },
  en: {
    dept: {
      title: "My department's tickets", unit: 'Department', allUnits: 'All departments', filterUnit: 'Filter by department',
      requester: 'Requester', sort: 'Sort', sortCreated: 'Newest first', sortSla: 'SLA due first',
      refused: "You may not see your department's tickets",
    },
  },
}
