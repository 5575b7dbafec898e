// The gateway's API as the web app uses it: /api/session and the generic /api/rpc/<service>/<method>
// (proto3 JSON, proto field names). Every change sends the session's CSRF token; an error arrives
// as an RFC 9457 problem (status, code = gRPC code name, violations = field violations).

export const SERVICES = {
  ticket: 'govops.ticket.v1.TicketService',
  org: 'govops.org.v1.OrgService',
  identity: 'govops.org.v1.IdentityService',
  evaluation: 'govops.evaluation.v1.EvaluationService',
  budget: 'govops.budget.v1.BudgetService',
  outsource: 'govops.outsource.v1.OutsourceService',
  notify: 'govops.notify.v1.NotifyService',
}

let csrfToken = null
let onUnauthenticated = () => {}

export function setCsrfToken(token) {
  csrfToken = token || null
  if (csrfToken) sessionStorage.setItem('govops.csrf', csrfToken)
  else sessionStorage.removeItem('govops.csrf')
}

export function whenUnauthenticated(handler) {
  onUnauthenticated = handler
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`)
    this.status = status
    this.code = problem.code || ''
    this.violations = problem.violations || []
    this.problem = problem
  }
}

export async function request(method, url, body) {
  const headers = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken
  const res = await fetch(url, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  if (res.status === 204) return null
  const data = await res.json().catch(() => ({}))
  if (!res.ok) {
    const err = new ApiError(res.status, data)
    if (res.status === 401 && !url.startsWith('/api/session')) onUnauthenticated(err)
    throw err
  }
  return data
}

export function rpc(service, method, body = {}) {
  return request('POST', `/api/rpc/${SERVICES[service] || service}/${method}`, body)
}

export const session = {
  get: () => request('GET', '/api/session'),
  login: (username, password) => request('POST', '/api/session', { username, password }),
  logout: () => request('DELETE', '/api/session'),
}

// A file as the base64 of proto3 JSON `bytes`.
// The inverse: a proto3 JSON `bytes` field (base64), e.g. an export or a report, saved by the browser.
export function saveBase64(content, filename, type = 'application/octet-stream') {
  const bytes = Uint8Array.from(atob(content || ''), (c) => c.charCodeAt(0))
  const url = URL.createObjectURL(new Blob([bytes], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result).split(',', 2)[1] || '')
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })
}
