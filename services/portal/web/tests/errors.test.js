import { describe, expect, it } from 'vitest'
import { fieldErrors, problemMessage, problemWithReason } from '../src/errors.js'

const t = (k) => ({ 'errors.INVALID_ARGUMENT': '填写有误', 'errors.other': '操作失败' })[k] || k

describe('gateway problems in words', () => {
  it('names the code, and with a reason the first violation in the user language', () => {
    const err = { code: 'INVALID_ARGUMENT', message: 'name: must be at most 60 characters',
      violations: [{ field: 'name', description: 'must be at most 60 characters' }] }
    expect(problemMessage(t, err)).toBe('填写有误')
    expect(problemWithReason(t, err, 'zh-CN')).toBe('填写有误：name 不能超过 60 个字符')
    expect(problemWithReason(t, err, 'en')).toBe('填写有误: name must be at most 60 characters')
    expect(problemWithReason(t, { code: 'INVALID_ARGUMENT', violations: [] }, 'zh-CN')).toBe('填写有误')
    expect(problemMessage(t, { code: 'TEAPOT', message: 'odd' })).toBe('操作失败: odd')
    expect(fieldErrors(err, 'zh-CN')).toEqual({ name: '不能超过 60 个字符' })
  })
})
