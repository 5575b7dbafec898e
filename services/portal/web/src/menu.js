// The main menu, built from the routes' meta.menu and filtered by the user's permissions. The menu
// only hides what the user cannot use: every service still checks the permission itself.
import { can } from './store.js'

export const GROUPS = ['service', 'operations', 'management', 'admin']

export function allowed(permission) {
  if (!permission) return true
  return (Array.isArray(permission) ? permission : [permission]).some((p) => can(p))
}

export function menuGroups(routes) {
  const groups = GROUPS.map((group) => ({ group, items: [] }))
  for (const route of routes) {
    const entry = route.meta && route.meta.menu
    if (!entry || !allowed(entry.permission)) continue
    const group = groups.find((g) => g.group === entry.group)
    if (!group) throw new Error(`route ${route.path}: unknown menu group "${entry.group}"`)
    group.items.push({ path: route.path, label: entry.label, order: entry.order ?? 100 })
  }
  for (const g of groups) g.items.sort((a, b) => a.order - b.order)
  return groups.filter((g) => g.items.length)
}
