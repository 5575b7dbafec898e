// The catalogue forms: fields from an item's JSON Schema, and validation with the rules the server
// applies (the schemas below are the shapes of ticket's default catalogue, services/ticket/domain/defaults.py).
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { describe, expect, it } from 'vitest'
import SchemaFields from '../src/components/SchemaFields.vue'
import { cleanForm, fieldsOf, translateReason, validateForm } from '../src/schemaForm.js'

const IPV4 = '^((25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1?\\d?\\d)$'
const NETWORK_FAULT = {
  type: 'object',
  required: ['location'],
  additionalProperties: false,
  properties: {
    location: { type: 'string', title: '地点', minLength: 2, maxLength: 100 },
    ip_address: { type: 'string', title: 'IP地址', pattern: IPV4 },
    affected_users: { type: 'integer', title: '受影响人数', minimum: 1 },
    network: { type: 'string', enum: ['政务外网', '政务内网', '互联网'], title: '网络' },
  },
}

describe('fieldsOf', () => {
  it('lists the properties with their labels, kinds and required flags, required ones first', () => {
    const fields = fieldsOf(NETWORK_FAULT)
    expect(fields.map((f) => [f.name, f.label, f.kind, f.required])).toEqual([
      ['location', '地点', 'text', true],
      ['affected_users', '受影响人数', 'number', false],
      ['ip_address', 'IP地址', 'text', false],
      ['network', '网络', 'enum', false],
    ])
    expect(fields[1].integer).toBe(true)
    expect(fields[3].options).toEqual(['政务外网', '政务内网', '互联网'])
  })

  it('has no fields for an item without a form', () => {
    expect(fieldsOf({})).toEqual([])
  })
})

describe('validateForm', () => {
  it('names every bad field in Chinese', () => {
    const errors = validateForm(NETWORK_FAULT, { ip_address: '999.1.1.1', affected_users: 0, network: '卫星' })
    expect(errors).toEqual({
      location: '此项为必填项',
      ip_address: '格式不正确',
      affected_users: '不能小于 1',
      network: '请从选项中选择',
    })
  })

  it('checks lengths and types as the server does', () => {
    expect(validateForm(NETWORK_FAULT, { location: '楼' })).toEqual({ location: '至少需要 2 个字符' })
    expect(validateForm(NETWORK_FAULT, { location: 'x'.repeat(101) })).toEqual({ location: '不能超过 100 个字符' })
    expect(validateForm(NETWORK_FAULT, { location: '三楼', affected_users: 1.5 })).toEqual({ affected_users: '请输入整数' })
    expect(validateForm(NETWORK_FAULT, { location: '三楼', extra: 1 })).toEqual({ extra: '不是此表单的字段' })
  })

  it('accepts a valid form and answers in English on request', () => {
    expect(validateForm(NETWORK_FAULT, { location: '三楼东', ip_address: '10.1.2.3', affected_users: 20 })).toEqual({})
    expect(validateForm(NETWORK_FAULT, {}, 'en')).toEqual({ location: 'This field is required' })
  })

  it('leaves blank optional inputs out before validating', () => {
    const values = cleanForm(NETWORK_FAULT, { location: ' 三楼 ', ip_address: '', affected_users: null })
    expect(values).toEqual({ location: '三楼' })
    expect(validateForm(NETWORK_FAULT, values)).toEqual({})
  })
})

describe('translateReason', () => {
  it('puts the server reasons it knows into Chinese and keeps the others', () => {
    expect(translateReason('must not be empty')).toBe('不能为空')
    // the services' own reasons
    expect(translateReason('must not be negative')).toBe('不能为负数')
    expect(translateReason('must be between 2000 and 2100, got 1999')).toBe('须在 2000 到 2100 之间')
    expect(translateReason('must be one of my_queue, group_queue, all')).toBe('须为以下之一：my_queue, group_queue, all')
    expect(translateReason('is required for the group_queue view')).toBe('此项为必填项')
    expect(translateReason('at most 50 saved views per user')).toBe('每人最多保存 50 个视图')
    expect(translateReason('more than 100000 rows; split the file')).toBe('超过 100000 行，请拆分文件')
    expect(translateReason('already assigned to 王工 (s-wang)')).toBe('已分派给 王工 (s-wang)')
    expect(translateReason("must not be before the contract's start")).toBe('不能早于合同开始日期')
    expect(translateReason('must not be before start_date')).toBe('不能早于 start_date')
    expect(translateReason('must be at most 60 characters')).toBe('不能超过 60 个字符')
    expect(translateReason('a reason no rule knows')).toBe('a reason no rule knows')  // shown as the service says it
    expect(translateReason('must not be negative', 'en')).toBe('must not be negative')
    expect(translateReason('must be at most 200 characters (got 250)')).toBe('不能超过 200 个字符')
    expect(translateReason("'999.1.1.1' does not match '^...$' (IP地址)")).toBe('格式不正确')
    expect(translateReason('something new')).toBe('something new')
    expect(translateReason('must not be empty', 'en')).toBe('must not be empty')
  })
})

describe('SchemaFields', () => {
  it('renders a labelled input per field, the required mark and the field in error', async () => {
    const wrapper = mount({
      components: { SchemaFields },
      template: '<el-form><SchemaFields v-model="v" :schema="schema" :errors="errors" id-prefix="t" /></el-form>',
      data: () => ({ v: {}, schema: NETWORK_FAULT, errors: { location: '此项为必填项' } }),
    }, { global: { plugins: [ElementPlus] } })
    await flushPromises() // Element Plus gives the inputs their ids once mounted
    const labels = wrapper.findAll('label').map((l) => l.text())
    expect(labels).toEqual(['地点', '受影响人数', 'IP地址', '网络'])
    expect(wrapper.find('label[for="t-location"]').exists()).toBe(true)
    expect(wrapper.find('input#t-location').exists()).toBe(true)
    expect(wrapper.find('[data-field="location"]').classes()).toContain('is-required')
    expect(wrapper.find('[data-field="location"]').classes()).toContain('is-error')
    expect(wrapper.find('[data-field="ip_address"]').classes()).not.toContain('is-error')
  })

  it('emits the new form values as the user types', async () => {
    const wrapper = mount(SchemaFields, {
      props: { schema: NETWORK_FAULT, modelValue: {}, idPrefix: 't' },
      global: { plugins: [ElementPlus] },
    })
    await flushPromises()
    await wrapper.find('input#t-location').setValue('三楼')
    expect(wrapper.emitted('update:modelValue').at(-1)).toEqual([{ location: '三楼' }])
  })
})
