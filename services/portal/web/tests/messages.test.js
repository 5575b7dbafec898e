import { describe, expect, it } from 'vitest'
import { mergeMessages, messages } from '../src/i18n.js'

function keys(tree, prefix = '') {
  return Object.entries(tree).flatMap(([k, v]) =>
    v && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`])
}

describe('messages', () => {
  it('has every simplified Chinese message in English too, and no English-only one', () => {
    const zh = new Set(keys(messages['zh-CN']))
    const en = new Set(keys(messages.en))
    expect([...zh].filter((k) => !en.has(k))).toEqual([])
    expect([...en].filter((k) => !zh.has(k))).toEqual([])
  })

  it('refuses an area that takes a namespace already taken', () => {
    const base = { 'zh-CN': { app: { title: '门户' } }, en: { app: { title: 'Portal' } } }
    expect(() => mergeMessages(base, { './modules/x/messages.js': { 'zh-CN': { app: {} }, en: { app: {} } } }))
      .toThrow(/namespace "app" is taken/)
    const merged = mergeMessages(base, { './modules/x/messages.js': { 'zh-CN': { x: { a: '甲' } }, en: { x: { a: 'A' } } } })
    expect(merged['zh-CN'].x.a).toBe('甲')
    expect(merged.en.app.title).toBe('Portal')
  })
})
