// The logged-in user (from /api/session) shared by the views.
import { reactive } from 'vue'
import { session, setCsrfToken } from './api.js'

export const auth = reactive({ user: null, checked: false })

export async function loadSession() {
  try {
    const reply = await session.get()
    auth.user = reply.user
    setCsrfToken(reply.csrf_token)
  } catch {
    auth.user = null
    setCsrfToken(null)
  }
  auth.checked = true
  return auth.user
}

export async function login(username, password) {
  const reply = await session.login(username, password)
  auth.user = reply.user
  auth.checked = true
  setCsrfToken(reply.csrf_token)
  return auth.user
}

export async function logout() {
  try {
    await session.logout()
  } finally {
    auth.user = null
    setCsrfToken(null)
  }
}

export function can(permission) {
  const perms = (auth.user && auth.user.permissions) || []
  return perms.includes(permission) || perms.includes('*')
}
