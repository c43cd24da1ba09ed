/**
 * What the queue needs to know about an encoded chunk. The coordinator uses
 * the trajectory codec (coordinator/ingest/codec-inspector.ts); the interface
 * keeps the queue free of codec details.
 */
export interface InspectedChunk {
  readonly frameCount: number
  /** Atoms per frame in the chunk (the kept atoms when it has a selection). */
  readonly atoms: number
  readonly steps: readonly number[]
  /** Indices of the kept atoms in the system, or null/absent when the chunk keeps all of them. */
  readonly atomSelection?: ArrayLike<number> | null
}

export interface ChunkInspector {
  /** Verifies the bytes (checksum, layout) and returns the frames, atoms and step of each frame; throws on corrupt data. */
  inspect (data: Uint8Array): InspectedChunk
  /** The same chunk without its first `count` frames (for a resend that overlaps stored frames). */
  dropLeadingFrames (data: Uint8Array, count: number): Uint8Array
}
