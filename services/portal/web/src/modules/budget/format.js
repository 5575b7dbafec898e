// Money, states and files of the budget and outsource areas. Money arrives as a Money message
// ({amount: "1234.50", currency: "CNY"}): shown grouped, never converted to a float for sums.
export function money(m) {
  const amount = m && typeof m === 'object' ? m.amount : m
  if (amount === undefined || amount === null || amount === '') return '—'
  const [int, frac = '00'] = String(amount).replace(/^-/, '').split('.')
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return `${String(amount).startsWith('-') ? '-' : ''}¥${grouped}.${(frac + '00').slice(0, 2)}`
}

// For charts only (ECharts plots numbers): yuan as a number, ten-thousands (万元) for the axis.
export function yuan(m) {
  const amount = m && typeof m === 'object' ? m.amount : m
  return Number(amount || 0)
}

// The enum's last word in lower case: BUDGET_STATE_SUBMITTED → submitted.
export function enumKey(value, prefix) {
  return String(value || '').replace(prefix, '').toLowerCase()
}

// Every page of a paged list method (org units, vendors, projects) for the pickers.
export async function allPages(call, field, body = {}) {
  const items = []
  let token = ''
  do {
    const reply = await call({ ...body, page: { page_size: 1000, page_token: token } })
    items.push(...(reply[field] || []))
    token = reply.page ? reply.page.next_page_token : ''
  } while (token)
  return items
}

// Why the server refused, in the user's words: the generic message for the code, then the service's
// own reason (e.g. the separation of duties), which names what to do.
export function refusal(t, err, problemMessage) {
  const generic = problemMessage(t, err)
  return err && err.message && err.code ? `${generic}：${err.message}` : generic
}
