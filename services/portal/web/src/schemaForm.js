// Catalogue item forms: the fields of an item's JSON Schema (form_schema) for rendering, and the
// validation of the entered values against the same schema the server checks (draft 2020-12,
// @cfworker/json-schema: no code generation, so the CSP needs no 'unsafe-eval'), with the
// messages in the user's language.
import { Validator } from '@cfworker/json-schema'

const MESSAGES = {
  'zh-CN': {
    required: () => '此项为必填项',
    type: (s) => ({ integer: '请输入整数', number: '请输入数字', string: '请输入文本', boolean: '请选择是或否' })[s.type] || '类型不正确',
    minLength: (s) => `至少需要 ${s.minLength} 个字符`,
    maxLength: (s) => `不能超过 ${s.maxLength} 个字符`,
    pattern: () => '格式不正确',
    format: (s) => `格式不正确（应为 ${s.format}）`,
    minimum: (s) => `不能小于 ${s.minimum}`,
    maximum: (s) => `不能大于 ${s.maximum}`,
    exclusiveMinimum: (s) => `必须大于 ${s.exclusiveMinimum}`,
    exclusiveMaximum: (s) => `必须小于 ${s.exclusiveMaximum}`,
    multipleOf: (s) => `必须是 ${s.multipleOf} 的倍数`,
    enum: () => '请从选项中选择',
    const: () => '取值不正确',
    additionalProperties: () => '不是此表单的字段',
    other: () => '填写有误',
  },
  en: {
    required: () => 'This field is required',
    type: (s) => `Must be of type ${s.type}`,
    minLength: (s) => `At least ${s.minLength} characters`,
    maxLength: (s) => `At most ${s.maxLength} characters`,
    pattern: () => 'Invalid format',
    format: (s) => `Invalid format (expected ${s.format})`,
    minimum: (s) => `Must be at least ${s.minimum}`,
    maximum: (s) => `Must be at most ${s.maximum}`,
    exclusiveMinimum: (s) => `Must be greater than ${s.exclusiveMinimum}`,
    exclusiveMaximum: (s) => `Must be less than ${s.exclusiveMaximum}`,
    multipleOf: (s) => `Must be a multiple of ${s.multipleOf}`,
    enum: () => 'Choose one of the options',
    const: () => 'Invalid value',
    additionalProperties: () => 'Not a field of this form',
    other: () => 'Invalid value',
  },
}

// Keywords whose errors only summarise errors of their sub-schemas.
const SUMMARIES = new Set(['properties', 'items', 'prefixItems', 'allOf', 'anyOf', 'oneOf', 'if', 'then', 'else',
  'not', '$ref', 'dependentSchemas', 'unevaluatedProperties', 'patternProperties', 'contains'])

// The renderable fields of an object schema: the required ones first (in `required` order), then
// the others by name (a schema that travels as a google.protobuf.Struct keeps no property order).
export function fieldsOf(schema) {
  const props = (schema && schema.properties) || {}
  const requiredList = ((schema && schema.required) || []).filter((n) => n in props)
  const required = new Set(requiredList)
  const names = [...requiredList, ...Object.keys(props).filter((n) => !required.has(n)).sort()]
  return names.map((name) => [name, props[name]]).map(([name, s]) => ({
    name,
    label: s.title || name,
    description: s.description || '',
    required: required.has(name),
    kind: Array.isArray(s.enum) ? 'enum' : s.type === 'integer' || s.type === 'number' ? 'number'
      : s.type === 'boolean' ? 'boolean' : s.maxLength > 200 ? 'textarea' : 'text',
    integer: s.type === 'integer',
    options: Array.isArray(s.enum) ? s.enum : [],
    min: s.minimum,
    max: s.maximum,
    maxLength: s.maxLength,
    schema: s,
  }))
}

// The values to send: blank optional inputs are left out (as the user did not fill them).
export function cleanForm(schema, values) {
  const out = {}
  for (const [name, value] of Object.entries(values || {})) {
    if (value === '' || value === null || value === undefined) continue
    out[name] = typeof value === 'string' ? value.trim() : value
    if (out[name] === '') delete out[name]
  }
  return out
}

function subSchema(schema, pointer) {
  // "#/properties/location/minLength" → the schema holding the keyword
  const parts = pointer.replace(/^#\/?/, '').split('/').filter(Boolean).slice(0, -1)
  let here = schema
  for (const p of parts) here = here && here[decodeURIComponent(p.replace(/~1/g, '/').replace(/~0/g, '~'))]
  return here || {}
}

// {fieldName: message} for every field that breaks the schema (the first message per field).
export function validateForm(schema, values, locale = 'zh-CN') {
  if (!schema || !Object.keys(schema).length) return {}
  const texts = MESSAGES[locale] || MESSAGES['zh-CN']
  const result = new Validator(schema, '2020-12', false).validate(values)
  const out = {}
  for (const err of result.errors) {
    if (SUMMARIES.has(err.keyword)) continue
    let field = err.instanceLocation.replace(/^#\/?/, '').split('/')[0]
    if (err.keyword === 'required') {
      const m = /"([^"]+)"/.exec(err.error)
      field = m ? m[1] : field
    } else if (err.keyword === 'additionalProperties' || err.keyword === 'false') {
      const m = /"([^"]+)"/.exec(err.error)
      if (m) field = m[1]
    }
    const keyword = err.keyword === 'false' ? 'additionalProperties' : err.keyword
    if (!(field in out)) out[field] = (texts[keyword] || texts.other)(subSchema(schema, err.keywordLocation))
  }
  return out
}

// A server violation's description in the user's language, where it is one of the known reasons.
export function translateReason(description, locale = 'zh-CN') {
  if (locale !== 'zh-CN' || !description) return description
  const rules = [
    [/^must not be empty$/, () => '不能为空'],
    [/^is required$/, () => '此项为必填项'],
    [/^must be at most (\d+) characters/, (m) => `不能超过 ${m[1]} 个字符`],
    [/^is not a field of this form$/, () => '不是此表单的字段'],
    [/does not match/, () => '格式不正确'],
    [/is less than the minimum of (\S+)/, (m) => `不能小于 ${m[1]}`],
    [/is greater than the maximum of (\S+)/, (m) => `不能大于 ${m[1]}`],
    [/is too short/, () => '太短'],
    [/is too long/, () => '太长'],
    [/is not one of/, () => '请从选项中选择'],
    [/is not of type/, () => '类型不正确'],
    // the services' own reasons (FieldViolation.reason), most common first
    [/^must not be negative$/, () => '不能为负数'],
    [/^must be between (\S+) and (\S+?)(,.*)?$/, (m) => `须在 ${m[1]} 到 ${m[2]} 之间`],
    [/^must be one of (.+)$/, (m) => `须为以下之一：${m[1]}`],
    [/^is required for /, () => '此项为必填项'],
    [/^must not contain control characters$/, () => '不能包含控制字符'],
    [/^must be a string$/, () => '须为文本'],
    [/^must fall within the contract period$/, () => '须在合同期内'],
    [/^must not be before the contract's start$/, () => '不能早于合同开始日期'],
    [/^must not be before (\S+)$/, (m) => `不能早于 ${m[1]}`],
    [/^must differ from (\S+)$/, (m) => `不能与 ${m[1]} 相同`],
    [/^the file is empty$/, () => '文件为空'],
    [/^the sheet is empty$/, () => '工作表为空'],
    [/^no data rows$/, () => '没有数据行'],
    [/^must be csv or xlsx$/, () => '须为 CSV 或 XLSX 文件'],
    [/^more than (\d+) rows; split the file$/, (m) => `超过 ${m[1]} 行，请拆分文件`],
    [/^at most (\d+) saved views per user$/, (m) => `每人最多保存 ${m[1]} 个视图`],
    [/^already assigned to (.+)$/, (m) => `已分派给 ${m[1]}`],
    [/^was already used with a different request$/, () => '该请求编号已用于另一个不同的请求'],
    [/^must list between 1 and 100 tickets$/, () => '须选择 1 到 100 张工单'],
    [/^must say why the plan is published anyway$/, () => '请说明仍要发布的理由'],
    [/^the period may span at most (\d+) days$/, (m) => `时间范围最多 ${m[1]} 天`],
    [/^not a UUID$/, () => '不是有效的编号'],
    [/^'wecom_app' reaches staff only/, () => '企业微信消息仅发给有人员信息的运维人员'],
  ]
  for (const [re, fmt] of rules) {
    const m = re.exec(description)
    if (m) return fmt(m)
  }
  return description
}
