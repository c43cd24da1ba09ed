/**
 * Streaming decode of a byte stream of concatenated chunks (a file, a
 * network stream), fed in pieces of any size down to one byte. Each chunk's
 * buffer is allocated once, when its header has arrived and passed the
 * limits; a chunk is decoded as soon as its last byte is in.
 *
 * @example
 * const decoder = new ChunkStreamDecoder()
 * for await (const piece of stream) for (const chunk of decoder.push(piece)) use(chunk)
 * decoder.end()   // ChunkTruncatedError if the stream stopped inside a chunk
 */
import { CHUNK_HEADER_BYTES, DEFAULT_CHUNK_LIMITS, type ChunkLimits } from './constants.ts'
import { decodeFrames, readChunkInfo, type DecodedChunk } from './chunk.ts'
import { ChunkTruncatedError } from './errors.ts'

export class ChunkStreamDecoder {
  private readonly limits: ChunkLimits
  private readonly header = new Uint8Array(CHUNK_HEADER_BYTES)
  private headerFill = 0
  private body: Uint8Array | null = null
  private bodyFill = 0

  constructor (limits: ChunkLimits = DEFAULT_CHUNK_LIMITS) {
    this.limits = limits
  }

  /** Feeds bytes; returns the chunks completed by them (often none). */
  push (bytes: Uint8Array): DecodedChunk[] {
    const done: DecodedChunk[] = []
    let at = 0
    while (at < bytes.length) {
      if (this.body === null) {
        const take = Math.min(CHUNK_HEADER_BYTES - this.headerFill, bytes.length - at)
        this.header.set(bytes.subarray(at, at + take), this.headerFill)
        this.headerFill += take
        at += take
        // Reject a wrong magic as soon as it is visible.
        if (this.headerFill >= 4 && this.headerFill < CHUNK_HEADER_BYTES) readMagicOnly(this.header.subarray(0, this.headerFill), this.limits)
        if (this.headerFill < CHUNK_HEADER_BYTES) continue
        const info = readChunkInfo(this.header, this.limits)
        this.body = new Uint8Array(info.byteLength)
        this.body.set(this.header)
        this.bodyFill = CHUNK_HEADER_BYTES
      }
      const take = Math.min(this.body.length - this.bodyFill, bytes.length - at)
      this.body.set(bytes.subarray(at, at + take), this.bodyFill)
      this.bodyFill += take
      at += take
      if (this.bodyFill === this.body.length) {
        const chunk = this.body
        this.body = null
        this.headerFill = 0
        this.bodyFill = 0
        done.push(decodeFrames(chunk, this.limits))
      }
    }
    return done
  }

  /** True between chunks. */
  get idle (): boolean {
    return this.body === null && this.headerFill === 0
  }

  /** Declares the end of the stream; throws ChunkTruncatedError when it stopped inside a chunk. */
  end (): void {
    if (this.body !== null) throw new ChunkTruncatedError(this.bodyFill, this.body.length)
    if (this.headerFill > 0) throw new ChunkTruncatedError(this.headerFill, CHUNK_HEADER_BYTES)
  }
}

function readMagicOnly (partial: Uint8Array, limits: ChunkLimits): void {
  try {
    readChunkInfo(partial, limits)
  } catch (err) {
    if ((err as Error).name !== 'ChunkTruncatedError') throw err
  }
}
