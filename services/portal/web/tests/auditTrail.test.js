import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import { messages } from '../src/i18n.js'
import { actorLabel, detailParts, detailText } from '../src/modules/evaluation/auditTrail.js'

const i18n = (locale) => createI18n({ legacy: false, locale, fallbackLocale: 'zh-CN', messages }).global
const { t, te } = i18n('zh-CN')

describe('the evaluation audit trail', () => {
  it('names the keys the service writes and translates plan states', () => {
    expect(detailText(t, te, '{"from_state": "review"}')).toBe('原状态：复核')
    expect(detailText(t, te, '{"from_state": "self_assessment"}')).toBe('原状态：自评')
  })

  it('shows shares as percents and the override reason as typed', () => {
    const d = JSON.stringify({ no_data_share: 0.9333, max_no_data_share: 0.5, reason: '数据源停机，先行发布' })
    expect(detailText(t, te, d)).toBe('无数据比例：93.33%；允许上限：50%；理由：数据源停机，先行发布')
  })

  it('joins lists readably and keeps the model version as written', () => {
    const d = JSON.stringify({ model: 'ninegrid_default@1', objects: ['org_unit:fgw', 'vendor:hx'] })
    expect(detailText(t, te, d)).toBe('评价模型：ninegrid_default@1；评价对象：org_unit:fgw、vendor:hx')
    expect(detailText(t, te, JSON.stringify({ scores: ['fgw:I7', 'czj:I7'] }))).toBe('已复核评分：fgw:I7、czj:I7')
  })

  it('translates accountability levels, closing events, flags and the unrouted reason', () => {
    expect(detailText(t, te, '{"level": "formal_talk", "reason": "整改逾期12天"}')).toBe('问责级别：约谈；理由：整改逾期12天')
    expect(detailText(t, te, '{"ticket_id": "T-1", "event": "ticket_closed"}')).toBe('整改工单：T-1；关闭依据：工单已关闭')
    expect(detailText(t, te, '{"replayed": false}')).toBe('重复请求：否')
    expect(detailText(t, te, '{"owner_position": null, "unrouted": "no responsible position in the org directory"}'))
      .toBe('未派单：组织目录中没有责任岗位')
  })

  it('keeps an unknown key, an unknown state and a detail that is not an object as they are', () => {
    expect(detailParts(t, te, '{"shiny_new": 3, "from_state": "frozen"}')).toEqual([
      { key: 'shiny_new', label: 'shiny_new', value: '3' },
      { key: 'from_state', label: '原状态', value: 'frozen' },
    ])
    expect(detailText(t, te, 'not json')).toBe('not json')
    expect(detailText(t, te, '')).toBe('')
    expect(detailText(t, te, '{}')).toBe('')
  })

  it('speaks English too', () => {
    const en = i18n('en')
    expect(detailText(en.t, en.te, '{"from_state": "review", "no_data_share": 0.25}')).toBe('From: Review; No-data share: 25%')
  })

  it('shows a known display name with the login, else the login', () => {
    expect(actorLabel('evaluator', { evaluator: '绩效评价员' })).toBe('绩效评价员（evaluator）')
    expect(actorLabel('kpw-runner', { evaluator: '绩效评价员' })).toBe('kpw-runner')
    expect(actorLabel('system', {})).toBe('system')
    // the entry's own display name first (entries written since evaluation migration 0006)
    expect(actorLabel('kpw-runner', {}, '张评价')).toBe('张评价（kpw-runner）')
    expect(actorLabel('evaluator', { evaluator: '旧名' }, '绩效评价员')).toBe('绩效评价员（evaluator）')
  })
})
