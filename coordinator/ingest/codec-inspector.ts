/**
 * The queue's view of chunks through the wire chunk codec: full decode
 * (header, exact length, CRC32, finite values) and plausibility checks
 * (./result-sanity.ts) before a chunk is stored.
 */
import { decodeChunk, encodeChunk } from '../../src/wire/chunk-codec.ts'
import type { ChunkInspector } from '../queue/chunk-inspector.ts'
import { checkResultFrames, DEFAULT_RESULT_CHECKS, type ResultChecks } from './result-sanity.ts'

/** The codec inspector with these plausibility checks. */
export function codecChunkInspectorWith (checks: ResultChecks): ChunkInspector {
  return {
    inspect (data: Uint8Array) {
      const frames = decodeChunk(data)
      checkResultFrames(frames, checks)
      return { frameCount: frames.length, atoms: frames[0].positionsNm.length / 3, steps: frames.map((f) => f.step) }
    },
    dropLeadingFrames: codecChunkInspector.dropLeadingFrames,
  }
}

export const codecChunkInspector: ChunkInspector = {
  inspect (data: Uint8Array) {
    const frames = decodeChunk(data)
    checkResultFrames(frames, DEFAULT_RESULT_CHECKS)
    return { frameCount: frames.length, atoms: frames[0].positionsNm.length / 3, steps: frames.map((f) => f.step) }
  },
  dropLeadingFrames (data: Uint8Array, count: number): Uint8Array {
    return encodeChunk(decodeChunk(data).slice(count))
  },
}
