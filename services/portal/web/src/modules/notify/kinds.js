// The event kinds and channels notify knows (labels only: what each kind means is notify's).
export const KINDS = [
  'ticket_assigned', 'ticket_resolved', 'info_requested', 'comment_added', 'change_awaiting_approval', 'sla_warning', 'sla_breached',
  'ticket_escalated', 'budget_exceeded', 'rectification_assigned', 'rectification_overdue', 'qualification_expiring', 'evaluation_published',
]
export const PERSONAL = ['CHANNEL_EMAIL', 'CHANNEL_SMS', 'CHANNEL_WECOM_APP']
// What a user may choose: WeCom knows people by their staff id, so a login without a staff record
// (a department user) chooses e-mail and SMS only (notify refuses WeCom for them).
export const personalFor = (user) => (user && user.staff_id ? PERSONAL : PERSONAL.filter((c) => c !== 'CHANNEL_WECOM_APP'))
export const CHANNELS = ['CHANNEL_EMAIL', 'CHANNEL_SMS', 'CHANNEL_WECOM_APP', 'CHANNEL_WECOM', 'CHANNEL_DINGTALK']
export const STATUSES = ['DELIVERY_STATUS_PENDING', 'DELIVERY_STATUS_SENDING', 'DELIVERY_STATUS_SENT', 'DELIVERY_STATUS_DEAD']
export const TEMPLATE_CHANNELS = ['email', 'sms', 'wecom_app', 'wecom', 'dingtalk', 'inapp']

export function kindLabel(t, kind) {
  const key = `notify.kinds.${kind}`
  const text = t(key)
  return text === key ? kind : text
}
