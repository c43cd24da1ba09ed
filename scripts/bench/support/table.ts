/** Plain-text tables and statistics for benchmark output. */

export function printTable (headers: string[], rows: Array<Array<string | number>>): void {
  const cells = rows.map(row => row.map(cell => typeof cell === 'number' ? formatNumber(cell) : cell))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map(row => row[i].length)))
  const line = (values: string[]): string => values.map((v, i) => i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i])).join('  ')
  console.log(line(headers))
  console.log(widths.map(w => '-'.repeat(w)).join('  '))
  for (const row of cells) console.log(line(row))
}

export function formatNumber (value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  if (abs >= 1000) return value.toFixed(0)
  if (abs >= 100) return value.toFixed(1)
  if (abs >= 1) return value.toFixed(2)
  return value.toPrecision(3)
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function percentile (values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))]
}
