/**
 * A chunk as kept in the `chunks` sublevel: an 8-byte header (frame count,
 * uint32 LE; 4 reserved bytes) followed by the chunk bytes exactly as the node
 * sent them (src/trajectory/ chunks), so fetch streams them without
 * re-encoding.
 */
const HEADER_BYTES = 8

export interface StoredChunk {
  readonly frameCount: number
  readonly data: Uint8Array
}

export function encodeStoredChunk (frameCount: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + data.byteLength)
  new DataView(out.buffer).setUint32(0, frameCount, true)
  out.set(data, HEADER_BYTES)
  return out
}

export function decodeStoredChunk (stored: Uint8Array): StoredChunk {
  const view = new DataView(stored.buffer, stored.byteOffset, stored.byteLength)
  return { frameCount: view.getUint32(0, true), data: stored.subarray(HEADER_BYTES) }
}
