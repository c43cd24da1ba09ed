/**
 * The queue's view of chunks through the trajectory codec (src/trajectory/):
 * full decode (header, exact length, CRC32, finite values) and plausibility
 * checks (./result-sanity.ts) before a chunk is stored. Resent chunks that
 * overlap stored frames lose their leading frames with the codec's own
 * dropLeadingFrames (decoded positions kept exactly).
 */
import { chunkFrames, decodeFrames, dropLeadingFrames } from '../../src/trajectory/index.ts'
import type { ChunkInspector, InspectedChunk } from '../queue/chunk-inspector.ts'
import { checkResultFrames, DEFAULT_RESULT_CHECKS, type ResultChecks } from './result-sanity.ts'

function inspectWith (data: Uint8Array, checks: ResultChecks): InspectedChunk {
  const chunk = decodeFrames(data)
  const frames = chunkFrames(chunk)
  checkResultFrames(frames, checks)
  return { frameCount: chunk.frameCount, atoms: chunk.atomCount, steps: Array.from(chunk.steps), atomSelection: chunk.atomSelection }
}

/** The codec inspector with these plausibility checks. */
export function codecChunkInspectorWith (checks: ResultChecks): ChunkInspector {
  return {
    inspect: (data: Uint8Array) => inspectWith(data, checks),
    dropLeadingFrames: codecChunkInspector.dropLeadingFrames,
  }
}

export const codecChunkInspector: ChunkInspector = {
  inspect: (data: Uint8Array) => inspectWith(data, DEFAULT_RESULT_CHECKS),
  dropLeadingFrames (data: Uint8Array, count: number): Uint8Array {
    return dropLeadingFrames(data, count)
  },
}
