// Names of org units, asset kinds and fee categories for display, loaded once per page.
import { rpc } from '../../api.js'
import { allPages } from './format.js'

export async function loadUnits() {
  const units = await allPages((body) => rpc('org', 'ListOrgUnits', body), 'org_units')
  return Object.fromEntries(units.map((u) => [u.id, u.name]))
}

export async function loadKinds() {
  const reply = await rpc('budget', 'ListAssetKinds', {})
  return Object.fromEntries(reply.kinds.map((k) => [k.code, k.name]))
}

export async function loadFees() {
  const reply = await rpc('budget', 'ListFeeCategories', {})
  const names = {}
  for (const c of reply.categories) {
    names[c.code] = c.name
    for (const i of c.items) names[i.code] = i.name
  }
  return { categories: reply.categories, names }
}
