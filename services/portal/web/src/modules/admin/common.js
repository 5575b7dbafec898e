// Helpers shared by the administration views: the org units for pickers, file downloads, and an
// import's field violations as table rows. No business rule here: the services decide.
import { rpc } from '../../api.js'

export const UNIT_KINDS = ['GOVERNMENT', 'DEPARTMENT', 'DIVISION', 'OM_CENTRE', 'VENDOR']

// Every unit (active and not), one call: an installation has hundreds, the page size allows 1000.
export async function loadUnits(includeInactive = true) {
  const reply = await rpc('org', 'ListOrgUnits', { include_inactive: includeInactive, page: { page_size: 1000 } })
  return reply.org_units
}

// The units as a tree for el-tree / el-tree-select: [{ id, name, kind, active, children }].
export function unitTree(units) {
  const byId = new Map(units.map((u) => [u.id, { ...u, children: [] }]))
  const roots = []
  for (const node of byId.values()) {
    const parent = node.parent_id && byId.get(node.parent_id)
    if (parent) parent.children.push(node)
    else roots.push(node)
  }
  const sort = (nodes) => { nodes.sort((a, b) => a.id.localeCompare(b.id)); nodes.forEach((n) => sort(n.children)) }
  sort(roots)
  return roots
}

// "rows[12].original_value" → { row: 12, column: 'original_value' }; "rows[3]" → { row: 3, column: '' };
// any other field (e.g. "rows", "content") → { row: null, column: field }. Sorted by row.
export function importErrors(violations) {
  const out = (violations || []).map((v) => {
    const m = /^rows\[(\d+)\](?:\.(.+))?$/.exec(v.field || '')
    return m ? { row: Number(m[1]), column: m[2] || '', message: v.description }
      : { row: null, column: v.field || '', message: v.description }
  })
  return out.sort((a, b) => (a.row ?? 0) - (b.row ?? 0))
}

// Monday 00:00 (Beijing time) of the week holding `date`, as a Date.
const CST_MS = 8 * 3600 * 1000
export function weekStart(date) {
  const local = new Date(date.getTime() + CST_MS)
  const day = (local.getUTCDay() + 6) % 7
  const midnight = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate()) - day * 86400000
  return new Date(midnight - CST_MS)
}

// The day index 0–6 of an instant within the week starting at `start` (Beijing time).
export function dayOf(start, iso) {
  return Math.floor((new Date(iso).getTime() - start.getTime()) / 86400000)
}

// A shift moved to another person and/or day: the same time of day and length.
export function moveShift(shift, start, staffId, day) {
  const from = new Date(shift.starts_at).getTime()
  const delta = (day - dayOf(start, shift.starts_at)) * 86400000
  return {
    staff_id: staffId,
    starts_at: new Date(from + delta).toISOString(),
    ends_at: new Date(new Date(shift.ends_at).getTime() + delta).toISOString(),
  }
}

// "HH:MM" in Beijing time.
export function clock(iso) {
  const d = new Date(new Date(iso).getTime() + CST_MS)
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`
}

// Who last published a roster week (ListShiftsResponse.last_published_*), for "最近发布" and the
// stale refusal: the display name their token carried with the login beside it (the login alone
// when it is the only name, e.g. a service account), and "MM-DD HH:MM" in Beijing time like the
// calendar. null when org recorded no publish (shifts written before it kept records).
export function lastPublisher(reply, locale = 'zh-CN') {
  const login = reply && reply.last_published_by
  if (!login) return null
  const [open, close] = locale === 'en' ? [' (', ')'] : ['（', '）']
  const name = reply.last_published_by_name && reply.last_published_by_name !== login
    ? `${reply.last_published_by_name}${open}${login}${close}` : login
  let at = ''
  if (reply.last_published_at) {
    const d = new Date(new Date(reply.last_published_at).getTime() + CST_MS)
    at = `${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')} ${clock(reply.last_published_at)}`
  }
  return { name, at }
}

// The services' field reasons are English; the common ones of an asset import read in Chinese
// (the original stays beside it in the table). Unknown reasons are shown as they are.
const REASONS_ZH = [
  [/^is required$/, () => '此项为必填项'],
  [/^must not be negative/, () => '不能为负数'],
  [/^must be greater than zero/, () => '必须大于零'],
  [/^must be between ([^\s,]+) and ([^\s,]+)/, (m) => `应在 ${m[1]} 到 ${m[2]} 之间`],
  [/^must be a whole number/, () => '应为整数'],
  [/^must be a decimal number/, () => '应为数字'],
  [/^must have at most (\d+) decimal places/, (m) => `最多 ${m[1]} 位小数`],
  [/^must be a date YYYY-MM-DD/, () => '应为日期（YYYY-MM-DD）'],
  [/^must not be in the future/, () => '不能晚于今天'],
  [/^must be one of/, () => '不是有效的取值'],
  [/^unknown asset kind/, () => '未知的资产类别'],
  [/^unknown org unit/, () => '未知的部门'],
  [/is deactivated/, () => '部门已撤销'],
  [/^asset code .* is already registered/, () => '资产编号已登记'],
  [/^duplicate asset code .*\(also in row (\d+)\)/, (m) => `资产编号与第 ${m[1]} 行重复`],
  [/^must not be empty/, () => '不能为空'],
  // a roster's refusals (org's PublishRoster)
  [/already has an overlapping shift/, () => '与此人的另一班次时间重叠'],
  [/is already on duty in (\S+)/, (m) => `此时已在支持组 ${m[1]} 值班`],
  [/^a shift lasts at most 24 hours/, () => '一个班次最长 24 小时'],
  [/^must be after starts_at/, () => '结束时间须晚于开始时间'],
  [/^must start within the roster period/, () => '须在本周内开始'],
  [/is not a member of the group/, () => '不是本组成员'],
]
export function reasonZh(description) {
  for (const [re, fmt] of REASONS_ZH) {
    const m = re.exec(description || '')
    if (m) return fmt(m)
  }
  return ''
}

export const ASSET_COLUMNS = ['code', 'name', 'kind', 'org_unit_id', 'location', 'brand', 'model', 'purchase_date',
  'original_value', 'quantity', 'protection_level', 'support_mode', 'status', 'response_time', 'user_scale']

// A refusal with its reason: the generic message in the user's language, then the service's own
// detail for the codes whose why matters to an administrator (a deactivated unit, a taken id, a
// scope, a stale version). Field problems are shown on their fields instead.
const EXPLAINED = ['FAILED_PRECONDITION', 'ALREADY_EXISTS', 'NOT_FOUND', 'PERMISSION_DENIED', 'ABORTED']
export function explain(t, err, problemMessage) {
  const text = problemMessage(t, err)
  return err && EXPLAINED.includes(err.code) && err.message ? `${text}：${err.message}` : text
}

// A ListUsers row's grants as short labels for the user table: "角色名 · 机构名", with the
// subtree mark when the grant covers the units below; names from the lookups the page loaded
// (the code or id itself when unknown).
export function grantLabels(grants, roleName, unitName, subtreeMark) {
  return (grants || []).map((g) => `${roleName(g.role)} · ${unitName(g.org_unit_id)}${g.subtree ? subtreeMark : ''}`)
}

// A user's state (ListUsers' UserState) as the tag type the table shows it with.
export const USER_STATE_TAGS = { USER_STATE_ACTIVE: 'success', USER_STATE_LOCKED: 'warning', USER_STATE_DISABLED: 'info' }
export function userStateTag(state) {
  return USER_STATE_TAGS[state] || 'info'
}
