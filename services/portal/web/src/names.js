import { reactive } from 'vue'

// Names of things a page shows by id (vendors, plans, staff), each asked for once per page visit
// — a pending look-up counts — and '' until known. A failed look-up (an unknown id, a caller
// without the read permission) leaves '' so the page keeps showing the id.
export function useNames(lookup) {
  const names = reactive({})
  return {
    names,
    want(ids) {
      for (const id of new Set(ids)) {
        if (id in names) continue
        names[id] = ''
        lookup(id).then((name) => { names[id] = name || '' }).catch(() => {})
      }
    },
  }
}
