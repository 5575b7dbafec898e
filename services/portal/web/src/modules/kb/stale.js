// A save refused because someone else saved a newer version meanwhile: the ticket service answers
// FAILED_PRECONDITION (409) naming `expected_version` (ABORTED is accepted too). The current
// version is in the reason ("is 2 but the current version is 3"); org's rosters use opaque
// digests instead of numbers, which give no current number.
export function staleVersion(err) {
  if (!err || !['FAILED_PRECONDITION', 'ABORTED'].includes(err.code)) return null
  const v = (err.violations || []).find((x) => x.field === 'expected_version')
  if (!v) return null
  const m = /current version is (\d+)\b/.exec(v.description || '')
  return { current: m ? Number(m[1]) : null }
}
