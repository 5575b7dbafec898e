export default {
  'zh-CN': {
    notify: {
      menu: { inbox: '消息中心', deliveries: '通知投递记录', templates: '通知模板' },
      kinds: {
        ticket_assigned: '工单分派', ticket_resolved: '工单已解决', info_requested: '需补充信息', comment_added: '工单留言', change_awaiting_approval: '变更审批',
        sla_warning: '时限预警', sla_breached: '超时告警', ticket_escalated: '工单升级', budget_exceeded: '预算超支',
        rectification_assigned: '整改任务', rectification_overdue: '整改逾期', qualification_expiring: '资质到期', evaluation_published: '绩效评价发布',
        template_failed: '模板渲染失败', test: '测试消息',
      },
      channels: {
        CHANNEL_EMAIL: '电子邮件', CHANNEL_SMS: '短信', CHANNEL_WECOM_APP: '企业微信消息', CHANNEL_WECOM: '企业微信群机器人',
        CHANNEL_DINGTALK: '钉钉群机器人', email: '电子邮件', sms: '短信', wecom_app: '企业微信消息', wecom: '企业微信群机器人',
        dingtalk: '钉钉群机器人', inapp: '消息中心',
      },
      statuses: {
        DELIVERY_STATUS_PENDING: '待发送', DELIVERY_STATUS_SENDING: '发送中', DELIVERY_STATUS_SENT: '已送达',
        DELIVERY_STATUS_DEAD: '发送失败',
      },
      inbox: {
        title: '消息中心', tabMessages: '我的消息', tabPreferences: '接收设置', unreadOnly: '只看未读', markAll: '全部标为已读',
        markRead: '标为已读', read: '已读', unread: '未读', empty: '暂无消息', open: '查看', marked: '已标记 {n} 条为已读',
        time: '时间', kind: '类型', message: '内容', refresh: '刷新',
      },
      prefs: {
        intro: '选择每类通知通过哪些渠道发送给您；不勾选任何渠道时只在消息中心提示。未设置的类型默认发送电子邮件。',
        kind: '通知类型', channels: '接收渠道', quiet: '免打扰时段', quietHint: '免打扰时段内的消息将在时段结束后发送；紧急工单的超时与升级告警不受限制。',
        start: '开始', end: '结束', save: '保存设置', saved: '接收设置已保存', wecomStaffOnly: '您的账号没有关联人员信息：企业微信按人员编号发送，您可选择电子邮件和短信（发送到您账号登记的邮箱和手机）。',
        bothTimes: '请同时填写开始和结束时间，或都不填',
      },
      log: {
        title: '通知投递记录', channel: '渠道', status: '状态', kind: '类型', recipient: '接收人', recipientHint: '人员编号或 robot',
        range: '创建时间', from: '开始时间', to: '结束时间', search: '查询', reset: '重置', created: '创建时间', address: '地址',
        attempts: '尝试', repeats: '合并', subject: '主题', error: '错误', templateError: '模板错误（已用默认模板）',
        replaySelected: '重发所选', replayFiltered: '重发全部符合条件的失败投递', replayed: '已重新排队 {n} 条',
        replayConfirm: '将所有符合当前条件的发送失败投递重新排队？', confirm: '确认', cancel: '取消', total: '共 {n} 条',
        empty: '暂无投递记录', provider: '服务商消息编号', sentAt: '送达时间', nextAt: '下次尝试', event: '事件',
        prev: '上一页', next: '下一页', any: '全部',
      },
      tpl: {
        title: '通知模板', kind: '通知类型', channel: '渠道', subject: '主题', text: '正文', custom: '已自定义', builtin: '内置',
        save: '保存为新版本', reset: '恢复内置模板', saved: '已保存第 {v} 版', resetDone: '已恢复内置模板', preview: '预览（示例数据）',
        previewError: '预览失败，发送时将改用默认模板：', versions: '历史版本', version: '版本', by: '修改人', at: '修改时间',
        resetVersion: '（恢复内置）', hint: '模板使用 Jinja2 语法（沙箱执行），可用的变量见内置模板；保存时检查语法。',
        syntaxError: '模板有语法错误', resetConfirm: '恢复该渠道的内置模板？', confirm: '确认', cancel: '取消', choose: '请选择左侧的模板',
        defaultText: '内置模板', use: '载入此版本',
      },
    },
  },
  en: {
    notify: {
      menu: { inbox: 'Notifications', deliveries: 'Delivery log', templates: 'Notification templates' },
      kinds: {
        ticket_assigned: 'Ticket assigned', ticket_resolved: 'Ticket resolved', info_requested: 'Information requested',
        comment_added: 'Ticket comment', change_awaiting_approval: 'Change awaiting approval', sla_warning: 'SLA warning', sla_breached: 'SLA breached', ticket_escalated: 'Ticket escalated',
        budget_exceeded: 'Budget exceeded', rectification_assigned: 'Rectification assigned', rectification_overdue: 'Rectification overdue',
        qualification_expiring: 'Qualification expiring', evaluation_published: 'Evaluation published',
        template_failed: 'Template failed', test: 'Test message',
      },
      channels: {
        CHANNEL_EMAIL: 'E-mail', CHANNEL_SMS: 'SMS', CHANNEL_WECOM_APP: 'WeCom message', CHANNEL_WECOM: 'WeCom group robot',
        CHANNEL_DINGTALK: 'DingTalk group robot', email: 'E-mail', sms: 'SMS', wecom_app: 'WeCom message', wecom: 'WeCom group robot',
        dingtalk: 'DingTalk group robot', inapp: 'Notification centre',
      },
      statuses: {
        DELIVERY_STATUS_PENDING: 'Pending', DELIVERY_STATUS_SENDING: 'Sending', DELIVERY_STATUS_SENT: 'Sent',
        DELIVERY_STATUS_DEAD: 'Failed',
      },
      inbox: {
        title: 'Notifications', tabMessages: 'My notifications', tabPreferences: 'Preferences', unreadOnly: 'Unread only',
        markAll: 'Mark all read', markRead: 'Mark read', read: 'Read', unread: 'Unread', empty: 'No notifications', open: 'Open',
        marked: '{n} marked read', time: 'Time', kind: 'Kind', message: 'Message', refresh: 'Refresh',
      },
      prefs: {
        intro: 'Choose the channels each kind of notification reaches you by; with none ticked it only appears here. Kinds not set get e-mail.',
        kind: 'Kind', channels: 'Channels', quiet: 'Quiet hours', quietHint: 'Messages due in quiet hours are sent when they end; breaches and escalations of critical tickets are exempt.',
        start: 'Start', end: 'End', save: 'Save preferences', saved: 'Preferences saved', wecomStaffOnly: 'Your account has no staff record: WeCom messages go by staff id, so you can choose e-mail and SMS (to the address and mobile on your account).',
        bothTimes: 'Give both start and end, or neither',
      },
      log: {
        title: 'Delivery log', channel: 'Channel', status: 'Status', kind: 'Kind', recipient: 'Recipient', recipientHint: 'Staff id or robot',
        range: 'Created', from: 'From', to: 'To', search: 'Search', reset: 'Reset', created: 'Created', address: 'Address',
        attempts: 'Attempts', repeats: 'Folded', subject: 'Subject', error: 'Error', templateError: 'Template error (default used)',
        replaySelected: 'Replay selected', replayFiltered: 'Replay all failed matching the filter', replayed: '{n} re-queued',
        replayConfirm: 'Re-queue every failed delivery matching the filter?', confirm: 'Confirm', cancel: 'Cancel', total: '{n} in all',
        empty: 'No deliveries', provider: 'Provider message id', sentAt: 'Sent at', nextAt: 'Next attempt', event: 'Event',
        prev: 'Previous', next: 'Next', any: 'Any',
      },
      tpl: {
        title: 'Notification templates', kind: 'Kind', channel: 'Channel', subject: 'Subject', text: 'Text', custom: 'Customised', builtin: 'Built-in',
        save: 'Save as new version', reset: 'Restore built-in', saved: 'Version {v} saved', resetDone: 'Built-in template restored', preview: 'Preview (sample data)',
        previewError: 'The preview failed; sending will use the plain default: ', versions: 'Versions', version: 'Version', by: 'By', at: 'At',
        resetVersion: '(restored built-in)', hint: 'Templates are Jinja2 (sandboxed); the built-in template shows the variables; the syntax is checked on save.',
        syntaxError: 'The template has a syntax error', resetConfirm: 'Restore the built-in template for this channel?', confirm: 'Confirm', cancel: 'Cancel', choose: 'Choose a template on the left',
        defaultText: 'Built-in template', use: 'Load this version',
      },
    },
  },
}
