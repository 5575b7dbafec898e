export default {
  'zh-CN': {
    evaluation: {
      menu: { grid: '绩效评价九宫格', plans: '评价计划', models: '评价模型', loop: '整改与问责', vendors: '服务商评价结果', audit: '评价审计轨迹' },
      prev: '上一页', next: '下一页', cancel: '取消', save: '保存', remove: '删除',
      levels: { organization: '组织层', process: '流程层', individual: '个人执行层' },
      dimensions: { goals: '目标', design: '设计', management: '管理' },
      states: {
        PLAN_STATE_UNSPECIFIED: '未知', PLAN_STATE_DRAFT: '草拟', PLAN_STATE_DATA_COLLECTION: '数据采集',
        PLAN_STATE_SELF_ASSESSMENT: '自评', PLAN_STATE_REVIEW: '复核', PLAN_STATE_PUBLISHED: '已发布', PLAN_STATE_ARCHIVED: '已归档',
      },
      kinds: {
        OBJECT_KIND_UNSPECIFIED: '对象', OBJECT_KIND_ORG_UNIT: '运维组织', OBJECT_KIND_PROCESS: '流程', OBJECT_KIND_PERSON: '人员',
        OBJECT_KIND_GROUP: '支持组', OBJECT_KIND_VENDOR: '服务商', OBJECT_KIND_DEPARTMENT: '用户部门',
      },
      indStatus: {
        INDICATOR_STATUS_UNSPECIFIED: '—', INDICATOR_STATUS_OK: '达标', INDICATOR_STATUS_BELOW_BASELINE: '未达基线',
        INDICATOR_STATUS_NO_DATA: '无数据',
      },
      rectStates: {
        RECTIFICATION_STATE_UNSPECIFIED: '—', RECTIFICATION_STATE_PENDING_TICKET: '待派单', RECTIFICATION_STATE_OPEN: '整改中',
        RECTIFICATION_STATE_CLOSED: '已完成',
      },
      accLevels: {
        ACCOUNTABILITY_LEVEL_UNSPECIFIED: '—', ACCOUNTABILITY_LEVEL_REMINDER: '提醒', ACCOUNTABILITY_LEVEL_FORMAL_TALK: '约谈',
        ACCOUNTABILITY_LEVEL_NOTICE_OF_CRITICISM: '通报批评', ACCOUNTABILITY_LEVEL_REFERRAL: '移交',
      },
      rules: {
        SCORING_RULE_UNSPECIFIED: '—', SCORING_RULE_LINEAR: '线性', SCORING_RULE_BANDED: '分档', SCORING_RULE_PASS_FAIL: '达标制',
        SCORING_RULE_DIRECT: '直接评分',
      },
      source: {
        kpi: '实时指标 {k}', formula: '公式 {f}', manual: '人工评分（附佐证）', process: '流程 {p}', aggregate: '人员{a}',
      },
      ind: {
        name: '指标', actual: '实际值', baseline: '基线', target: '目标值', weight: '权重', score: '得分', trend: '趋势（上期→本期）',
        status: '状态', source: '数据来源', evidence: '佐证',
      },
      report: { pdf: '下载PDF报告', xlsx: '下载Excel报告' },
      grid: {
        title: '绩效评价九宫格', plan: '评价计划', compare: '对比计划', comparePrevious: '对比：上一期（默认）', noPlans: '暂无已出结果的评价计划',
        model: '模型', comparedWith: '对比', ranking: '排名', rank: '名次', object: '评价对象', overall: '综合得分', before: '上期',
        change: '变化', levelScore: '层级得分', legend: '红色低于60分，琥珀色60分左右，绿色接近满分，灰色无数据；点击格子查看指标',
        heatmap: '全部对象热力图', trend: '综合得分趋势', noIndicators: '此格没有适用于该对象的指标',
      },
      plans: {
        title: '评价计划', allStates: '全部状态', state: '状态', create: '新建评价计划', empty: '暂无评价计划', name: '计划名称',
        period: '评价周期', subject: '评价主体', role: '评价角色', objects: '评价对象', model: '评价模型', start: '开始日期', end: '结束日期',
        kind: '对象类型', objectId: '对象编号', objectUnit: '所属单位', addObject: '添加对象', save: '创建', grid: '九宫格',
        openGrid: '查看九宫格',
      },
      plan: {
        to: { PLAN_STATE_DATA_COLLECTION: '开始数据采集', PLAN_STATE_SELF_ASSESSMENT: '进入自评（计算结果）', PLAN_STATE_REVIEW: '提交复核' },
        signOff: '复核签字', override: '无数据比例过高时的发布理由（选填）', publish: '发布结果', archive: '归档',
        manual: '人工评分', scoredBy: '评分 / 复核', reviewedBy: '复核', results: '评价结果', findings: '发现的问题',
        advanced: '已进入下一步骤', signedOff: '已复核签字', published: '已发布，未达基线的指标已发起整改', archived: '已归档',
      },
      models: {
        title: '评价模型', pick: '选择模型版本', draft: '起草新版本', validate: '校验', save: '保存为新版本', levelWeights: '层级权重',
        weightSum: '（权重合计 {sum}）', cell: '维度', rule: '计分规则', problems: '校验问题', invalid: '模型有误，请按提示修改',
        valid: '校验通过', saved: '已保存为第 {version} 版',
      },
      vendors: {
        title: '服务商评价结果', period: '考核周期', from: '开始日期', to: '结束日期', unit: '合同所属单位', allUnits: '全部单位',
        hint: '服务商作为评价对象：外包合同按月SLA报告的达成情况（同一报告取最新版本）', empty: '暂无服务商SLA结果',
        vendor: '服务商', tickets: '工单数', response: '响应达成率', resolution: '解决达成率', breaches: '未达标工单',
        penalty: '违约扣款', report: 'SLA报告', open: '查看报告', total: '共 {n} 条',
      },
      audit: {
        title: '评价审计轨迹', kind: '对象类型', all: '全部', from: '开始日期', to: '结束日期', days: '日期范围',
        empty: '所选范围内没有审计记录', by: '操作人 {actor}',
        kinds: { plan: '评价计划', model: '评价模型', rectification: '整改事项' },
        actions: {
          model_created: '保存评价模型', plan_created: '创建评价计划', plan_data_collection: '开始数据采集',
          plan_self_assessment: '进入自评（计算结果）', plan_review: '提交复核', plan_published: '发布评价结果',
          plan_archived: '归档评价计划', plan_publish_override: '无数据比例超限仍发布', manual_score_submitted: '提交人工评分',
          manual_scores_signed_off: '人工评分复核签字', rectification_requested: '发起整改', rectification_opened: '整改派单',
          rectification_closed: '整改完成', accountability_recorded: '记录问责',
        },
      },
      loop: {
        title: '整改与问责闭环', unit: '按单位筛选', openOnly: '只看未完成', run: '立即执行问责规则', empty: '暂无整改事项',
        plan: '计划', liveCheck: '实时监测', finding: '发现问题', findingText: '实际 {actual}，基线 {baseline}，连续 {periods} 期未达标',
        assigned: '整改派单', owner: '责任岗位', unrouted: '待指定', due: '期限', rectifying: '整改中', ticket: '整改工单',
        noTicket: '工单创建中', closed: '整改完成', accountability: '问责', none: '无', actions: '整改要求', evidence: '整改佐证',
        openTicket: '查看整改工单', showEvidence: '显示佐证', noEvidence: '暂无佐证', records: '问责记录', overdue: '已逾期',
        ran: '本次新增问责记录 {n} 条',
      },
    },
  },
  en: {
    evaluation: {
      menu: { grid: 'Nine-grid evaluation', plans: 'Evaluation plans', models: 'Evaluation models', loop: 'Rectification',
        vendors: 'Vendor results', audit: 'Evaluation audit trail' },
      prev: 'Previous page', next: 'Next page', cancel: 'Cancel', save: 'Save', remove: 'Remove',
      levels: { organization: 'Organisation', process: 'Process', individual: 'Individual' },
      dimensions: { goals: 'Goals', design: 'Design', management: 'Management' },
      states: {
        PLAN_STATE_UNSPECIFIED: 'Unknown', PLAN_STATE_DRAFT: 'Draft', PLAN_STATE_DATA_COLLECTION: 'Data collection',
        PLAN_STATE_SELF_ASSESSMENT: 'Self-assessment', PLAN_STATE_REVIEW: 'Review', PLAN_STATE_PUBLISHED: 'Published',
        PLAN_STATE_ARCHIVED: 'Archived',
      },
      kinds: {
        OBJECT_KIND_UNSPECIFIED: 'Object', OBJECT_KIND_ORG_UNIT: 'O&M unit', OBJECT_KIND_PROCESS: 'Process', OBJECT_KIND_PERSON: 'Person',
        OBJECT_KIND_GROUP: 'Group', OBJECT_KIND_VENDOR: 'Vendor', OBJECT_KIND_DEPARTMENT: 'Department',
      },
      indStatus: {
        INDICATOR_STATUS_UNSPECIFIED: '—', INDICATOR_STATUS_OK: 'Met', INDICATOR_STATUS_BELOW_BASELINE: 'Short of baseline',
        INDICATOR_STATUS_NO_DATA: 'No data',
      },
      rectStates: {
        RECTIFICATION_STATE_UNSPECIFIED: '—', RECTIFICATION_STATE_PENDING_TICKET: 'Awaiting ticket', RECTIFICATION_STATE_OPEN: 'In progress',
        RECTIFICATION_STATE_CLOSED: 'Done',
      },
      accLevels: {
        ACCOUNTABILITY_LEVEL_UNSPECIFIED: '—', ACCOUNTABILITY_LEVEL_REMINDER: 'Reminder', ACCOUNTABILITY_LEVEL_FORMAL_TALK: 'Formal talk',
        ACCOUNTABILITY_LEVEL_NOTICE_OF_CRITICISM: 'Notice of criticism', ACCOUNTABILITY_LEVEL_REFERRAL: 'Referral',
      },
      rules: {
        SCORING_RULE_UNSPECIFIED: '—', SCORING_RULE_LINEAR: 'Linear', SCORING_RULE_BANDED: 'Banded', SCORING_RULE_PASS_FAIL: 'Pass/fail',
        SCORING_RULE_DIRECT: 'Direct',
      },
      source: {
        kpi: 'Live KPI {k}', formula: 'Formula {f}', manual: 'Manual score (with evidence)', process: 'process {p}', aggregate: 'staff {a}',
      },
      ind: {
        name: 'Indicator', actual: 'Actual', baseline: 'Baseline', target: 'Target', weight: 'Weight', score: 'Score',
        trend: 'Trend (previous → now)', status: 'Status', source: 'Data source', evidence: 'Evidence',
      },
      report: { pdf: 'Download PDF', xlsx: 'Download Excel' },
      grid: {
        title: 'Nine-grid evaluation', plan: 'Plan', compare: 'Compare with', comparePrevious: 'Compare: previous plan (default)',
        noPlans: 'No plan with results yet', model: 'Model', comparedWith: 'compared with', ranking: 'Ranking', rank: 'Rank',
        object: 'Object', overall: 'Overall', before: 'Before', change: 'Change', levelScore: 'Level score',
        legend: 'Red below 60, amber around 60, green near 100, grey no data; click a cell for its indicators',
        heatmap: 'Heatmap of all objects', trend: 'Overall score trend', noIndicators: 'No indicator of this cell applies to the object',
      },
      plans: {
        title: 'Evaluation plans', allStates: 'All states', state: 'State', create: 'New evaluation plan', empty: 'No plans',
        name: 'Name', period: 'Period', subject: 'Evaluating unit', role: 'Evaluating role', objects: 'Objects', model: 'Model',
        start: 'Start', end: 'End', kind: 'Kind', objectId: 'Object id', objectUnit: 'Org unit', addObject: 'Add an object',
        save: 'Create', grid: 'Nine-grid', openGrid: 'Open nine-grid',
      },
      plan: {
        to: { PLAN_STATE_DATA_COLLECTION: 'Start data collection', PLAN_STATE_SELF_ASSESSMENT: 'Self-assessment (compute results)',
          PLAN_STATE_REVIEW: 'Submit for review' },
        signOff: 'Sign off scores', override: 'Reason to publish despite missing data (optional)', publish: 'Publish',
        archive: 'Archive', manual: 'Manual scores', scoredBy: 'Scored / reviewed by', reviewedBy: 'reviewed by',
        results: 'Results', findings: 'Findings', advanced: 'Moved to the next step', signedOff: 'Scores signed off',
        published: 'Published; rectifications opened for results short of baseline', archived: 'Archived',
      },
      models: {
        title: 'Evaluation models', pick: 'Model version', draft: 'Draft a new version', validate: 'Validate',
        save: 'Save as new version', levelWeights: 'Level weights', weightSum: '(weights add up to {sum})', cell: 'Dimension',
        rule: 'Scoring rule', problems: 'Problems', invalid: 'The model has errors; see the fields', valid: 'The model is valid',
        saved: 'Saved as version {version}',
      },
      vendors: {
        title: 'Vendor results', period: 'Period', from: 'Start date', to: 'End date', unit: 'Contract owner', allUnits: 'All units',
        hint: 'Vendors as evaluated objects: SLA attainment from the monthly reports of their contracts (newest version of each)',
        empty: 'No vendor SLA results', vendor: 'Vendor', tickets: 'Tickets', response: 'Response', resolution: 'Resolution',
        breaches: 'Misses', penalty: 'Penalties', report: 'SLA report', open: 'Open report', total: '{n} in all',
      },
      audit: {
        title: 'Evaluation audit trail', kind: 'Kind', all: 'All', from: 'Start date', to: 'End date', days: 'Days',
        empty: 'No audit entries in this range', by: 'by {actor}',
        kinds: { plan: 'Plan', model: 'Model', rectification: 'Rectification' },
        actions: {
          model_created: 'Model saved', plan_created: 'Plan created', plan_data_collection: 'Data collection started',
          plan_self_assessment: 'Self-assessment (results computed)', plan_review: 'Sent to review', plan_published: 'Results published',
          plan_archived: 'Plan archived', plan_publish_override: 'Published despite missing data', manual_score_submitted: 'Manual score entered',
          manual_scores_signed_off: 'Manual scores signed off', rectification_requested: 'Rectification requested',
          rectification_opened: 'Rectification assigned', rectification_closed: 'Rectification closed',
          accountability_recorded: 'Accountability recorded',
        },
      },
      loop: {
        title: 'Rectification and accountability', unit: 'Filter by unit', openOnly: 'Open only', run: 'Apply accountability rules now',
        empty: 'No rectifications', plan: 'plan', liveCheck: 'live check', finding: 'Finding',
        findingText: 'actual {actual}, baseline {baseline}, {periods} period(s) short', assigned: 'Assigned', owner: 'owner',
        unrouted: 'to be routed', due: 'due', rectifying: 'Rectifying', ticket: 'ticket', noTicket: 'ticket being opened',
        closed: 'Closed', accountability: 'Accountability', none: 'none', actions: 'Required actions', evidence: 'Evidence',
        openTicket: 'Open the ticket', showEvidence: 'Show evidence', noEvidence: 'No evidence yet', records: 'Accountability records',
        overdue: 'Overdue', ran: '{n} new accountability record(s)',
      },
    },
  },
}
