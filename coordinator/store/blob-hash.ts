/** Content address of a payload: sha256 of its bytes, lowercase hex. */
import { createHash } from 'node:crypto'

export function blobHash (bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function isBlobHash (value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value)
}
