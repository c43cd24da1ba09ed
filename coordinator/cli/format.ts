/** Text formatting for the terminal: tables, ages, throughput. Only the CLI prints. */
import type { JobSummary } from '../../src/client/control-messages.ts'

/** Left-aligned columns separated by two spaces. */
export function table (header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}

/** "3 s ago", "5 min ago", "2 h ago". */
export function ago (ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return 'never'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 90) return `${s} s ago`
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`
  return `${(s / 3600).toFixed(1)} h ago`
}

/** "1:02:03" or "4:05". */
export function duration (seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = s % 60
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`
}

export function percent (job: JobSummary): string {
  return `${Math.floor((100 * job.stepsDone) / Math.max(1, job.steps))}%`
}

/** Simulated time, ns. */
export function simulatedNs (job: JobSummary): number {
  return (job.stepsDone * job.stepSizePs) / 1000
}

/** The short "what is happening" column of `jobs`. */
export function jobNote (job: JobSummary): string {
  if (job.state === 'failed') return job.failure !== undefined ? `${job.failure.errorName}: ${job.failure.reason}` : 'failed'
  if (job.state === 'cancelled') return job.cancelReason ?? ''
  if (job.waitingReason !== undefined) return `waiting: ${job.waitingReason}`
  if (job.runningOn.length > 0) return `on ${job.runningOn.map((p) => p.slice(-8)).join(', ')}`
  return ''
}
