import { describe, expect, it } from 'vitest'
import { usePager } from '../src/pager.js'

describe('usePager', () => {
  it('walks forward and back through page tokens', () => {
    const p = usePager(20)
    expect(p.request()).toEqual({ page_size: 20, page_token: '' })
    expect(p.hasPrev).toBe(false)
    expect(p.forward()).toBe(false) // no reply yet: no next page
    p.received({ page: { next_page_token: 't2' } })
    expect(p.forward()).toBe(true)
    expect(p.request()).toEqual({ page_size: 20, page_token: 't2' })
    expect(p.number).toBe(2)
    p.received({ page: { next_page_token: 't3' } })
    p.forward()
    p.received({ page: { next_page_token: '' } })
    expect(p.number).toBe(3)
    expect(p.forward()).toBe(false) // the last page
    expect(p.back()).toBe(true)
    expect(p.request().page_token).toBe('t2')
    expect(p.back()).toBe(true)
    expect(p.request().page_token).toBe('')
    expect(p.hasPrev).toBe(false)
    expect(p.back()).toBe(false)
  })

  it('starts over on reset and reads a reply without a page', () => {
    const p = usePager(5)
    p.received({ page: { next_page_token: 'x' } })
    p.forward()
    p.reset()
    expect(p.number).toBe(1)
    expect(p.nextToken).toBe('')
    p.received({})
    expect(p.nextToken).toBe('')
  })
})

describe('useNames', () => {
  it('asks once per id, pending ones included, and leaves failures empty', async () => {
    const { useNames } = await import('../src/names.js')
    const asked = []
    const n = useNames((id) => { asked.push(id); return id === 'bad' ? Promise.reject(new Error('no')) : Promise.resolve(`名-${id}`) })
    n.want(['a', 'a', 'bad'])
    n.want(['a'])
    expect(asked).toEqual(['a', 'bad'])
    expect(n.names.a).toBe('') // pending
    await new Promise((r) => setTimeout(r, 0))
    expect(n.names).toEqual({ a: '名-a', bad: '' })
  })
})
