// ECharts, loaded on first use only (the charts' chunk never weighs on the first page).
let loading = null

export function loadEcharts() {
  if (!loading) loading = import('./echarts-lib.js').then((m) => m.default)
  return loading
}
