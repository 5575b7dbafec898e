import { reactive } from 'vue'

// Paging through a list method's page tokens (google.rpc-style `page { page_size, page_token }` in,
// `page.next_page_token` out): the token of the page shown, the next page's, and the tokens of the
// pages before it so that "previous" works although the services only hand out forward tokens.
export function usePager(pageSize) {
  const pager = reactive({
    token: '',
    nextToken: '',
    before: [],
    get hasPrev() { return pager.before.length > 0 },
    get number() { return pager.before.length + 1 },
    // the `page` field of the next request
    request() { return { page_size: pageSize, page_token: pager.token } },
    // after a reply: where the next page starts ('' on the last page)
    received(reply) { pager.nextToken = (reply && reply.page && reply.page.next_page_token) || '' },
    // back to the first page (a filter changed)
    reset() { pager.before = []; pager.token = ''; pager.nextToken = '' },
    // move one page on or back; false (nothing to load) when there is no such page
    forward() {
      if (!pager.nextToken) return false
      pager.before.push(pager.token)
      pager.token = pager.nextToken
      return true
    },
    back() {
      if (!pager.before.length) return false
      pager.token = pager.before.pop()
      return true
    },
  })
  return pager
}
