// The year view of a business calendar: twelve month grids (weeks from Monday), each day with what
// it is — a holiday (休), a make-up workday on a weekend (调休上班, 班), a weekend or a workday.
export const pad = (n) => String(n).padStart(2, '0')
export const iso = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`

// [{month: 1..12, weeks: [[null | {date, day, weekend}, ×7], ...]}, ...]
export function yearMonths(year) {
  return Array.from({ length: 12 }, (_, i) => {
    const month = i + 1
    const first = new Date(Date.UTC(year, i, 1))
    const days = new Date(Date.UTC(year, month, 0)).getUTCDate()
    const lead = (first.getUTCDay() + 6) % 7 // Monday first
    const cells = Array(lead).fill(null)
    for (let d = 1; d <= days; d++) {
      const wd = (lead + d - 1) % 7
      cells.push({ date: iso(year, month, d), day: d, weekend: wd >= 5 })
    }
    while (cells.length % 7) cells.push(null)
    const weeks = []
    for (let k = 0; k < cells.length; k += 7) weeks.push(cells.slice(k, k + 7))
    return { month, weeks }
  })
}

// A click on a day: a weekday toggles holiday ⇄ workday; a weekend day goes
// weekend → make-up workday → holiday → weekend (a weekend holiday marks a festival day).
export function nextKind(kind, weekend) {
  if (!weekend) return kind === 'holiday' ? '' : 'holiday'
  return { '': 'workday', workday: 'holiday', holiday: '' }[kind || '']
}

// The year as ImportCalendarYear's CSV (date,kind), ordered by date.
export function yearCsv(days, year) {
  const rows = Object.entries(days).filter(([d, k]) => k && d.startsWith(`${year}-`)).sort()
  return ['date,kind', ...rows.map(([d, k]) => `${d},${k}`)].join('\n') + '\n'
}
