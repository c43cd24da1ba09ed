/** Content hashes of payloads (blobs): sha256, lowercase hex. */
import { createHash } from 'node:crypto'

export const SHA256_HEX_PATTERN = /^[0-9a-f]{64}$/

export function sha256Hex (bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function isSha256Hex (value: unknown): value is string {
  return typeof value === 'string' && SHA256_HEX_PATTERN.test(value)
}
