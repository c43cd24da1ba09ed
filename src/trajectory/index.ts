/**
 * The trajectory codec: error-bounded (default 0.001 nm, as XTC) or lossless
 * compression of chunks of MD frames, with box, steps, times and energies.
 *
 * @example
 * import { encodeFrames, decodeFrames, chunkFrames } from './trajectory/index.ts'
 * const bytes = encodeFrames(frames, { precisionNm: 0.001, atomSelection: proteinAtoms })
 * const chunk = decodeFrames(bytes)          // positions within 0.0005 nm of the input
 * for (const frame of chunkFrames(chunk)) ...
 */
export { encodeFrames, decodeFrames, verifyChunk, readChunkInfo, chunkFrames, dropLeadingFrames, chunkByteBound } from './chunk.ts'
export type { EncodeOptions, ChunkInfo, DecodedChunk } from './chunk.ts'
export { ChunkStreamDecoder } from './stream-decoder.ts'
export { DEFAULT_PRECISION_NM, DEFAULT_CHUNK_LIMITS, TRAJECTORY_CODEC_VERSION, CHUNK_HEADER_BYTES } from './constants.ts'
export type { ChunkLimits } from './constants.ts'
export * from './errors.ts'
