// Simplified Chinese by default, English on request (the choice is kept in localStorage).
import { createI18n } from 'vue-i18n'

const zh = {
  app: {
    title: 'GovOps 运维服务门户', catalogue: '服务目录', myTickets: '我的工单', logout: '退出', language: 'English',
    menu: '主菜单',
  },
  // the windows of the portal: the menu's groups (route meta.menu.group)
  nav: { service: '服务请求', operations: '运行管理', management: '综合管理', admin: '系统管理' },
  login: {
    title: '登录', username: '用户名', password: '密码', submit: '登录',
    failed: '用户名或密码错误', tooMany: '尝试次数过多，请 {seconds} 秒后再试', hint: '使用统一身份账号登录',
  },
  catalogue: {
    search: '搜索服务（如：网络、打印机、账号）', empty: '没有匹配的服务', submit: '提交申请', report: '报告故障',
    categories: { infrastructure: '基础设施运维', application: '应用系统运维', information_resource: '信息资源维护' },
  },
  submit: {
    title: '提交服务请求', item: '服务项', unit: '所属部门', subject: '标题', description: '详细描述',
    impact: '影响范围', urgency: '紧急程度', submit: '提交', cancel: '返回', formError: '请按提示修改表单',
    done: '已提交工单 {number}', suggestions: '这些知识库文章能否解决您的问题？', solved: '已解决，无需提交',
    subjectRequired: '请填写标题', subjectTooLong: '标题不能超过 200 个字符', unitRequired: '请选择部门',
    levels: { high: '高', medium: '中', low: '低' },
  },
  tickets: {
    number: '编号', title: '标题', status: '状态', priority: '优先级', sla: 'SLA', created: '提交时间', unit: '部门',
    filterStatus: '按状态筛选', filterType: '工单类型', open: '未关闭',
    types: { request: '服务请求', incident: '故障', change: '变更', problem: '问题' }, all: '全部', next: '下一页', prev: '上一页', empty: '暂无工单',
    view: '查看',
  },
  ticket: {
    timeline: '处理进展', created: '提交工单', resolved: '已解决', closed: '已关闭', comment: '补充说明',
    addComment: '发表', supply: '补充信息', supplyHint: '运维人员需要您补充信息', confirm: '确认解决',
    reopen: '未解决，重新打开', reopenReason: '重新打开的原因', rate: '满意度评价', rateSubmit: '提交评价',
    rated: '您的评价', attachments: '附件', upload: '上传附件（不超过 10 MB）', tooLarge: '附件不能超过 10 MB',
    notFound: '工单不存在或您无权查看', back: '返回我的工单', workInOps: '在运行管理窗口处理', resolution: '解决方案', assignee: '处理人',
    group: '支持组', details: '工单信息', form: '申请内容', saved: '已保存', confirmed: '已确认并关闭工单',
    approvalHint: '此变更等待审批', approvalComment: '审批意见（驳回时必填）', approve: '批准变更', reject: '驳回',
    chooseFile: '选择文件', noFile: '未选择文件', filesChosen: '已选择 {n} 个文件',
    statusChanged: '状态：{from} → {to}', assignedTo: '已分派给 {group} · {name}', assignedToPerson: '已分派给 {name}', rejectionReason: '驳回原因', youDecided: '您已于 {time} 审批通过本步骤，等待下一步审批', queued: '转入 {group} 队列，等待受理',
    noGroup: '支持组', pendingReasons: { requester: '等待您补充信息', vendor: '等待服务商处理', change: '等待相关变更完成' },
  },
  status: {
    TICKET_STATUS_NEW: '待受理', TICKET_STATUS_ASSIGNED: '已分派', TICKET_STATUS_IN_PROGRESS: '处理中',
    TICKET_STATUS_PENDING: '挂起', TICKET_STATUS_RESOLVED: '已解决', TICKET_STATUS_CLOSED: '已关闭',
    TICKET_STATUS_AWAITING_APPROVAL: '待审批', TICKET_STATUS_APPROVED: '已批准', TICKET_STATUS_REJECTED: '已驳回',
    TICKET_STATUS_IMPLEMENTED: '已实施', TICKET_STATUS_KNOWN_ERROR: '已知错误',
  },
  priority: { PRIORITY_CRITICAL: '紧急', PRIORITY_HIGH: '高', PRIORITY_MEDIUM: '中', PRIORITY_LOW: '低' },
  sla: { none: '无', left: '剩余 {time}', overdue: '已超时 {time}', paused: '已暂停', done: '已完成' },
  duration: { d: '{n}天', h: '{n}小时', m: '{n}分' },
  errors: {
    INVALID_ARGUMENT: '填写有误', UNAUTHENTICATED: '请重新登录', PERMISSION_DENIED: '您没有权限执行此操作',
    NOT_FOUND: '未找到', ALREADY_EXISTS: '已存在', FAILED_PRECONDITION: '当前状态不允许此操作',
    ABORTED: '数据已被他人修改，请刷新后重试', RESOURCE_EXHAUSTED: '操作过于频繁，请稍后再试',
    UNAVAILABLE: '服务暂时不可用，请稍后再试', DEADLINE_EXCEEDED: '服务响应超时，请稍后再试', CSRF: '页面已过期，请刷新',
    other: '操作失败',
  },
}

const en = {
  app: {
    title: 'GovOps Service Portal', catalogue: 'Service catalogue', myTickets: 'My tickets', logout: 'Log out', language: '中文',
    menu: 'Main menu',
  },
  nav: { service: 'Service requests', operations: 'Operations', management: 'Management', admin: 'Administration' },
  login: {
    title: 'Log in', username: 'Username', password: 'Password', submit: 'Log in',
    failed: 'Wrong username or password', tooMany: 'Too many attempts; try again in {seconds} s', hint: 'Use your GovOps account',
  },
  catalogue: {
    search: 'Search services (network, printer, account…)', empty: 'No matching service', submit: 'Request', report: 'Report a fault',
    categories: { infrastructure: 'Infrastructure O&M', application: 'Application O&M', information_resource: 'Information resources' },
  },
  submit: {
    title: 'Submit a request', item: 'Service', unit: 'Department', subject: 'Title', description: 'Description',
    impact: 'Impact', urgency: 'Urgency', submit: 'Submit', cancel: 'Back', formError: 'Please correct the form',
    done: 'Ticket {number} submitted', suggestions: 'Do these articles solve it?', solved: 'Solved, do not submit',
    subjectRequired: 'Enter a title', subjectTooLong: 'At most 200 characters', unitRequired: 'Choose a department',
    levels: { high: 'High', medium: 'Medium', low: 'Low' },
  },
  tickets: {
    number: 'Number', title: 'Title', status: 'Status', priority: 'Priority', sla: 'SLA', created: 'Created', unit: 'Department',
    filterStatus: 'Filter by status', filterType: 'Type', open: 'Open',
    types: { request: 'Request', incident: 'Incident', change: 'Change', problem: 'Problem' }, all: 'All', next: 'Next page', prev: 'Previous page', empty: 'No tickets',
    view: 'View',
  },
  ticket: {
    timeline: 'Timeline', created: 'Submitted', resolved: 'Resolved', closed: 'Closed', comment: 'Comment',
    addComment: 'Post', supply: 'Supply information', supplyHint: 'The engineer needs more information from you', confirm: 'Confirm resolution',
    reopen: 'Not solved: reopen', reopenReason: 'Why reopen', rate: 'Satisfaction', rateSubmit: 'Rate',
    rated: 'Your rating', attachments: 'Attachments', upload: 'Upload a file (at most 10 MB)', tooLarge: 'Files are limited to 10 MB',
    notFound: 'The ticket does not exist or you may not see it', back: 'Back to my tickets', workInOps: 'Work it in the operations window', resolution: 'Resolution', assignee: 'Assignee',
    group: 'Support group', details: 'Details', form: 'Request form', saved: 'Saved', confirmed: 'Confirmed and closed',
    approvalHint: 'This change awaits approval', approvalComment: 'Comment (required to reject)', approve: 'Approve', reject: 'Reject',
    chooseFile: 'Choose a file', noFile: 'No file chosen', filesChosen: '{n} files chosen',
    statusChanged: 'Status: {from} → {to}', assignedTo: 'Assigned to {group} · {name}', assignedToPerson: 'Assigned to {name}', rejectionReason: 'Reason', youDecided: 'You approved your step on {time}; the next step is pending', queued: 'In the {group} queue, waiting to be taken',
    noGroup: 'support group', pendingReasons: { requester: 'Waiting for your information', vendor: 'Waiting for the vendor', change: 'Waiting for a related change' },
  },
  status: {
    TICKET_STATUS_NEW: 'New', TICKET_STATUS_ASSIGNED: 'Assigned', TICKET_STATUS_IN_PROGRESS: 'In progress',
    TICKET_STATUS_PENDING: 'Pending', TICKET_STATUS_RESOLVED: 'Resolved', TICKET_STATUS_CLOSED: 'Closed',
    TICKET_STATUS_AWAITING_APPROVAL: 'Awaiting approval', TICKET_STATUS_APPROVED: 'Approved', TICKET_STATUS_REJECTED: 'Rejected',
    TICKET_STATUS_IMPLEMENTED: 'Implemented', TICKET_STATUS_KNOWN_ERROR: 'Known error',
  },
  priority: { PRIORITY_CRITICAL: 'Critical', PRIORITY_HIGH: 'High', PRIORITY_MEDIUM: 'Medium', PRIORITY_LOW: 'Low' },
  sla: { none: 'None', left: '{time} left', overdue: '{time} overdue', paused: 'Paused', done: 'Done' },
  duration: { d: '{n}d', h: '{n}h', m: '{n}m' },
  errors: {
    INVALID_ARGUMENT: 'Invalid input', UNAUTHENTICATED: 'Please log in again', PERMISSION_DENIED: 'You may not do this',
    NOT_FOUND: 'Not found', ALREADY_EXISTS: 'Already exists', FAILED_PRECONDITION: 'Not allowed in the current status',
    ABORTED: 'Changed by someone else; reload and retry', RESOURCE_EXHAUSTED: 'Too many requests; try again later',
    UNAVAILABLE: 'Service unavailable; try again later', DEADLINE_EXCEEDED: 'The service timed out; try again later',
    CSRF: 'The page expired; reload it', other: 'The operation failed',
  },
}

// Each area of the app (src/modules/<area>/messages.js) brings its own namespace of messages:
// `export default { 'zh-CN': { <area>: {...} }, en: { <area>: {...} } }`.
const moduleMessages = import.meta.glob('./modules/*/messages.js', { eager: true, import: 'default' })

export function mergeMessages(base, modules) {
  const merged = { 'zh-CN': { ...base['zh-CN'] }, en: { ...base.en } }
  for (const [file, messages] of Object.entries(modules)) {
    for (const locale of Object.keys(merged)) {
      for (const [namespace, value] of Object.entries(messages[locale] || {})) {
        if (namespace in merged[locale]) throw new Error(`${file}: message namespace "${namespace}" is taken`)
        merged[locale][namespace] = value
      }
    }
  }
  return merged
}

export const messages = mergeMessages({ 'zh-CN': zh, en }, moduleMessages)

export const i18n = createI18n({
  legacy: false,
  locale: localStorage.getItem('govops.locale') || 'zh-CN',
  fallbackLocale: 'zh-CN',
  messages,
})

export function setLocale(locale) {
  i18n.global.locale.value = locale
  localStorage.setItem('govops.locale', locale)
  document.documentElement.lang = locale
}
