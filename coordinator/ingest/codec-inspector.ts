/**
 * The queue's view of chunks through the wire chunk codec: full decode
 * (header, exact length, CRC32, finite values) before a chunk is stored.
 */
import { decodeChunk, encodeChunk } from '../../src/wire/chunk-codec.ts'
import type { ChunkInspector } from '../queue/chunk-inspector.ts'

export const codecChunkInspector: ChunkInspector = {
  inspect (data: Uint8Array) {
    const frames = decodeChunk(data)
    return { frameCount: frames.length, atoms: frames[0].positionsNm.length / 3, steps: frames.map((f) => f.step) }
  },
  dropLeadingFrames (data: Uint8Array, count: number): Uint8Array {
    return encodeChunk(decodeChunk(data).slice(count))
  },
}
