/** Constants of the trajectory chunk format (layout: see chunk.ts and coordinate-coder.ts). */

/** 'MDTC' read as a little-endian u32: mdswarm trajectory chunk. */
export const TRAJECTORY_CHUNK_MAGIC = 0x4354444d
/** 2: rigid-triplet signs folded into a residual (three symbols per atom). Chunks of other versions are refused (ChunkVersionError). */
export const TRAJECTORY_CODEC_VERSION = 2
/** Fixed header bytes (see chunk-layout.ts). */
export const CHUNK_HEADER_BYTES = 48
/** CRC32 trailer bytes. */
export const CHUNK_TRAILER_BYTES = 4
/** Default precision, nm: the same 0.001 nm GROMACS's XTC uses by default. */
export const DEFAULT_PRECISION_NM = 0.001

export const FLAG_LOSSLESS = 1
export const FLAG_BOX = 2
export const FLAG_SELECTION = 4
export const KNOWN_FLAGS = FLAG_LOSSLESS | FLAG_BOX | FLAG_SELECTION

/** Bounds a decoder enforces before it allocates anything. */
export interface ChunkLimits {
  /** Largest encoded chunk accepted, bytes. */
  maxChunkBytes: number
  /** Most frames in one chunk. */
  maxFrames: number
  /** Most atoms per frame. */
  maxAtoms: number
  /** Largest decoded positions array, values (frames × atoms × 3). */
  maxDecodedValues: number
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = {
  maxChunkBytes: 512 * 1024 * 1024,
  maxFrames: 1_000_000,
  maxAtoms: 10_000_000,
  maxDecodedValues: 256 * 1024 * 1024
}
