// How close a qualification is to its expiry, on Beijing calendar days (the service warns at 30
// and 7 days and refuses awards once one has expired).
export function today() {
  return new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

export function daysLeft(expiresOn, now = today()) {
  return Math.round((Date.parse(`${expiresOn}T00:00:00Z`) - Date.parse(`${now}T00:00:00Z`)) / 86400000)
}

// 'expired' | 'soon' (≤ 30 days) | 'ok'
export function expiryState(expiresOn, now = today()) {
  const left = daysLeft(expiresOn, now)
  return left < 0 ? 'expired' : left <= 30 ? 'soon' : 'ok'
}

export const EXPIRY_TAG = { expired: 'danger', soon: 'warning', ok: 'success' }
