// What is wrong with a catalogue item's form schema as the administrator types it, before saving:
// the JSON itself, then the shape the request form can render (an object schema with properties).
// The ticket service still checks the schema (draft 2020-12) on save and names form_schema.
import { Validator } from '@cfworker/json-schema'

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'])
const MESSAGES = {
  'zh-CN': {
    json: (m) => `JSON 格式错误：${m}`,
    object: () => '表单定义必须是一个 JSON 对象',
    rootType: () => '顶层 "type" 必须是 "object"',
    properties: () => '"properties" 必须是对象',
    property: (n) => `字段 "${n}" 的定义必须是对象`,
    type: (n, ty) => `字段 "${n}" 的类型 "${ty}" 无效`,
    required: () => '"required" 必须是字符串数组',
    requiredMissing: (n) => `"required" 中的 "${n}" 不在 "properties" 里`,
    enum: (n) => `字段 "${n}" 的 "enum" 必须是非空数组`,
    number: (n, k) => `字段 "${n}" 的 "${k}" 必须是数字`,
    invalid: (m) => `不是有效的 JSON Schema：${m}`,
  },
  en: {
    json: (m) => `Invalid JSON: ${m}`,
    object: () => 'The form definition must be a JSON object',
    rootType: () => 'The top-level "type" must be "object"',
    properties: () => '"properties" must be an object',
    property: (n) => `The definition of field "${n}" must be an object`,
    type: (n, ty) => `Field "${n}" has an invalid type "${ty}"`,
    required: () => '"required" must be an array of strings',
    requiredMissing: (n) => `"${n}" in "required" is not in "properties"`,
    enum: (n) => `"enum" of field "${n}" must be a non-empty array`,
    number: (n, k) => `"${k}" of field "${n}" must be a number`,
    invalid: (m) => `Not a valid JSON Schema: ${m}`,
  },
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

// {schema, errors: [message, ...]}: schema is the parsed object when the text is JSON.
export function checkSchemaText(text, locale = 'zh-CN') {
  const m = MESSAGES[locale] || MESSAGES['zh-CN']
  if (!text.trim()) return { schema: {}, errors: [] } // no extra fields
  let schema
  try {
    schema = JSON.parse(text)
  } catch (err) {
    return { schema: null, errors: [m.json(err.message)] }
  }
  const errors = []
  if (!isObject(schema)) return { schema: null, errors: [m.object()] }
  if (schema.type !== undefined && schema.type !== 'object') errors.push(m.rootType())
  const props = schema.properties
  if (props !== undefined && !isObject(props)) errors.push(m.properties())
  for (const [name, s] of Object.entries(isObject(props) ? props : {})) {
    if (!isObject(s)) { errors.push(m.property(name)); continue }
    for (const ty of [s.type].flat().filter((x) => x !== undefined)) {
      if (!TYPES.has(ty)) errors.push(m.type(name, ty))
    }
    if (s.enum !== undefined && (!Array.isArray(s.enum) || !s.enum.length)) errors.push(m.enum(name))
    for (const k of ['minLength', 'maxLength', 'minimum', 'maximum']) {
      if (s[k] !== undefined && typeof s[k] !== 'number') errors.push(m.number(name, k))
    }
  }
  if (schema.required !== undefined) {
    if (!Array.isArray(schema.required) || schema.required.some((x) => typeof x !== 'string')) errors.push(m.required())
    else if (isObject(props)) {
      for (const n of schema.required) if (!(n in props)) errors.push(m.requiredMissing(n))
    }
  }
  if (!errors.length) {
    try {
      new Validator(schema, '2020-12', false).validate({})
    } catch (err) {
      errors.push(m.invalid(err.message))
    }
  }
  return { schema: errors.length ? null : schema, errors }
}
