/**
 * Key encodings that sort correctly as strings in LevelDB.
 */

/** Zero-padded decimal of a non-negative integer (default 15 digits: ms timestamps and frame indices). */
export function padNumber (value: number, digits = 15): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`key number must be a non-negative safe integer, got ${value}`)
  return value.toString().padStart(digits, '0')
}

/** Highest priority allowed; priorities are integers in [-PRIORITY_LIMIT, PRIORITY_LIMIT]. */
export const PRIORITY_LIMIT = 1_000_000

/** Ready-queue key: higher priority first, then oldest first, then unit id. */
export function readyKey (priority: number, queuedAt: number, unitId: string): string {
  return `${padNumber(PRIORITY_LIMIT - priority, 7)}!${padNumber(queuedAt)}!${unitId}`
}

/** Chunk key: job, then first frame index, so a range read streams a job's frames in order. */
export function chunkKey (jobId: string, firstFrame: number): string {
  return `${jobId}!${padNumber(firstFrame)}`
}

/** Range bounds of all chunks of a job from `fromFrame` on. */
export function chunkRange (jobId: string, fromFrame = 0): { gte: string, lt: string } {
  return { gte: chunkKey(jobId, fromFrame), lt: `${jobId}!~` }
}

/** Event key: per job, in order. */
export function eventKey (jobId: string, seq: number): string {
  return `${jobId}!${padNumber(seq)}`
}
