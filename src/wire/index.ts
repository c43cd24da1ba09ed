/**
 * The mdswarm wire protocol: protocol ids and limits, message types and
 * validators, length-prefixed CBOR framing on libp2p streams, content
 * hashes, typed errors. The frames a chunk message carries are trajectory
 * chunks (src/trajectory/: encodeFrames / decodeFrames, re-exported here);
 * the older plain chunk codec (float32 frames, ./chunk-codec.ts) stays for
 * wire-level tools and benchmarks.
 */
export * from './constants.ts'
export type * from './messages.ts'
export * from './errors.ts'
export { encodeMessage, decodeMessage } from './cbor.ts'
export { FrameDecoder, WireStream, encodeFrame, encodeVarint, request, wireStream } from './framing.ts'
export type { RequestOptions, Validator, WireStreamOptions } from './framing.ts'
export { serveStream } from './serve.ts'
export type { ServeOptions } from './serve.ts'
export * from './validate.ts'
export { encodeFrames, decodeFrames, chunkFrames, dropLeadingFrames, verifyChunk, readChunkInfo, chunkByteBound } from '../trajectory/index.ts'
export type { EncodeOptions, DecodedChunk, ChunkInfo } from '../trajectory/index.ts'
export { encodeChunk, decodeChunk, readChunkHeader, verifyChunkChecksum, chunkByteLength, chunkFrameBytes, DEFAULT_CHUNK_LIMITS, CHUNK_VERSION } from './chunk-codec.ts'
export type { ChunkHeader, ChunkLimits } from './chunk-codec.ts'
export { sha256Hex, isSha256Hex } from './hash.ts'
