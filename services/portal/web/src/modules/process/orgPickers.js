// Options for the catalogue item's support group and position pickers: org records as
// { value, name, label, unknown, inactive }, in pinyin order of the Chinese name.

const COLLATOR = new Intl.Collator('zh-Hans-CN')

// `marks` words the two cases an administrator must notice: { unknown: '未知', inactive: '停用' }.
// The stored id always stays an option: an id the lists do not hold (deleted, or out of the
// caller's sight) shows raw and marked, so saving the item does not silently drop it.
export function pickerOptions(records, current, marks) {
  const options = records
    .filter((r) => r.active !== false || r.id === current)
    .map((r) => {
      const inactive = r.active === false
      const name = r.name || r.id
      return { value: r.id, name, inactive, unknown: false,
        label: `${name} (${r.id})${inactive ? ` · ${marks.inactive}` : ''}` }
    })
    .sort((a, b) => COLLATOR.compare(a.name, b.name) || a.value.localeCompare(b.value))
  if (current && !options.some((o) => o.value === current)) {
    options.unshift({ value: current, name: current, inactive: false, unknown: true,
      label: `${current}（${marks.unknown}）` })
  }
  return options
}

// A typed query matches the name or the id, ignoring case and surrounding spaces.
export function optionMatches(option, query) {
  const q = (query || '').trim().toLowerCase()
  return !q || option.name.toLowerCase().includes(q) || option.value.toLowerCase().includes(q)
}
