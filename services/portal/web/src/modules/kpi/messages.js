const names = {
  'zh-CN': {
    tickets_created: '新建工单', tickets_open: '未结工单', tickets_resolved: '已解决工单', sla_attainment_pct: 'SLA达成率',
    response_time_mean_s: '平均响应时长', resolution_time_mean_s: '平均解决时长', satisfaction_avg: '满意度',
    satisfaction_count: '评价数', sla_breaches: 'SLA违约',
  },
  en: {
    tickets_created: 'Tickets created', tickets_open: 'Open tickets', tickets_resolved: 'Tickets resolved',
    sla_attainment_pct: 'SLA attainment', response_time_mean_s: 'Mean response time',
    resolution_time_mean_s: 'Mean resolution time', satisfaction_avg: 'Satisfaction', satisfaction_count: 'Ratings',
    sla_breaches: 'SLA breaches',
  },
}

export default {
  'zh-CN': {
    kpi: {
      menu: '实时运维大屏', title: '运维服务实时监控', unit: '单位', window: '统计区间', screen: '全屏', exitScreen: '退出全屏',
      live: { live: '实时', connecting: '连接中', stopped: '已停止' },
      windows: { today: '今日', '7d': '近7天', '30d': '近30天', month: '本月', quarter: '本季度', year: '本年', all: '累计' },
      names: names['zh-CN'],
      short: { tickets_created: '新建', tickets_open: '未结', tickets_resolved: '已解决', sla_attainment_pct: 'SLA达成率',
        response_time_mean_s: '平均响应' },
      byProcess: '分流程', process: '流程', processes: { request: '服务请求', incident: '事件（故障）', problem: '问题', change: '变更' },
      backlogByGroup: '各支持组积压工单', groups: '支持组', group: '支持组', drillHint: '（点击查看成员）', people: '人员',
      peopleOf: '{group} 成员', person: '人员', workload: '在办', children: '下级单位', noData: '暂无数据',
      trend: '趋势', granularity: '粒度', by: { day: '按日', week: '按周', month: '按月' },
      axis: { tickets: '工单数', pct: '达成率 %' },
      latest: '{bucket} 新建工单 {created}，已解决工单 {resolved}，SLA达成率 {sla}',
    },
  },
  en: {
    kpi: {
      menu: 'Live KPI wall', title: 'Live O&M service KPIs', unit: 'Unit', window: 'Window', screen: 'Full screen',
      exitScreen: 'Exit full screen',
      live: { live: 'Live', connecting: 'Connecting', stopped: 'Stopped' },
      windows: { today: 'Today', '7d': '7 days', '30d': '30 days', month: 'Month', quarter: 'Quarter', year: 'Year', all: 'All time' },
      names: names.en,
      short: { tickets_created: 'Created', tickets_open: 'Open', tickets_resolved: 'Resolved', sla_attainment_pct: 'SLA',
        response_time_mean_s: 'Response' },
      byProcess: 'By process', process: 'Process', processes: { request: 'Request', incident: 'Incident', problem: 'Problem', change: 'Change' },
      backlogByGroup: 'Backlog by support group', groups: 'Support groups', group: 'Group', drillHint: '(click for members)',
      people: 'People', peopleOf: 'Members of {group}', person: 'Person', workload: 'Open', children: 'Units below',
      noData: 'No data', trend: 'Trend', granularity: 'Granularity', by: { day: 'Daily', week: 'Weekly', month: 'Monthly' },
      axis: { tickets: 'Tickets', pct: 'Attainment %' },
      latest: '{bucket}: {created} tickets created, {resolved} resolved, SLA attainment {sla}',
    },
  },
}
