/**
 * What the queue needs to know about an encoded chunk. The coordinator uses
 * the wire chunk codec (coordinator/ingest/codec-inspector.ts); the interface
 * keeps the queue free of codec details.
 */
export interface ChunkInspector {
  /** Verifies the bytes (checksum, layout) and returns the frames, atoms and step of each frame; throws on corrupt data. */
  inspect (data: Uint8Array): { frameCount: number, atoms: number, steps: readonly number[] }
  /** The same chunk without its first `count` frames (for a resend that overlaps stored frames). */
  dropLeadingFrames (data: Uint8Array, count: number): Uint8Array
}
