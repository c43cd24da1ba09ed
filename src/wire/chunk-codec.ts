/**
 * The plain encoding of a chunk of consecutive trajectory frames, as it
 * travels on /mdswarm/frames/1 and is stored by the coordinator.
 *
 * Layout, little-endian:
 *   header (16 bytes): magic 'MDSC' | version u16 | flags u16 (bit 0: box) | frameCount u32 | atomCount u32
 *   per frame: step f64 | timePs f64 | potentialEnergy f64 (kJ/mol) | kineticEnergy f64 (kJ/mol) |
 *              temperatureK f64 | box 9 × f64 nm (when flagged) | positions 3 × atomCount × f32 nm
 *   trailer: CRC32 (u32) of everything before it
 *
 * Sizes are fixed by the header, so a decoder checks the exact length before
 * it reads anything else, and allocates only what that length implies.
 */
import { crc32 } from 'node:zlib'
import os from 'node:os'
import type { Frame } from '../engine/frame.ts'
import { ChunkChecksumError, ChunkFormatError } from './errors.ts'

export const CHUNK_MAGIC = 0x4353444d // 'MDSC' read as little-endian u32
export const CHUNK_VERSION = 1
export const CHUNK_HEADER_BYTES = 16
export const CHUNK_TRAILER_BYTES = 4
const FLAG_BOX = 1
const SCALARS_PER_FRAME = 5
const BOX_VALUES = 9
const HOST_IS_LITTLE_ENDIAN = os.endianness() === 'LE'

export interface ChunkHeader {
  readonly version: number
  readonly frameCount: number
  /** Atoms per frame (after any atom selection). */
  readonly atomCount: number
  readonly hasBox: boolean
}

export interface ChunkLimits {
  maxFrames: number
  maxAtoms: number
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = { maxFrames: 1_000_000, maxAtoms: 10_000_000 }

/** Bytes one frame takes. */
export function chunkFrameBytes (atomCount: number, hasBox: boolean): number {
  return SCALARS_PER_FRAME * 8 + (hasBox ? BOX_VALUES * 8 : 0) + 3 * atomCount * 4
}

/** Total bytes of a chunk. */
export function chunkByteLength (frameCount: number, atomCount: number, hasBox: boolean): number {
  return CHUNK_HEADER_BYTES + frameCount * chunkFrameBytes(atomCount, hasBox) + CHUNK_TRAILER_BYTES
}

/**
 * Encodes frames (all with the same atom count and all with or all without
 * a box). With `atomSelection` (atom indices), only those atoms' positions
 * are kept, in that order.
 */
export function encodeChunk (frames: readonly Frame[], atomSelection?: ArrayLike<number>): Uint8Array {
  if (frames.length === 0) throw new ChunkFormatError('A chunk needs at least one frame.')
  const sourceAtoms = frames[0].positionsNm.length / 3
  const hasBox = frames[0].box != null
  if (atomSelection != null) {
    for (let i = 0; i < atomSelection.length; i++) {
      const atom = atomSelection[i]
      if (!Number.isInteger(atom) || atom < 0 || atom >= sourceAtoms) throw new ChunkFormatError(`Atom selection index ${atom} is outside the ${sourceAtoms} atoms of the frames.`)
    }
  }
  const atomCount = atomSelection != null ? atomSelection.length : sourceAtoms
  const frameBytes = chunkFrameBytes(atomCount, hasBox)
  const out = new Uint8Array(chunkByteLength(frames.length, atomCount, hasBox))
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength)
  view.setUint32(0, CHUNK_MAGIC, true)
  view.setUint16(4, CHUNK_VERSION, true)
  view.setUint16(6, hasBox ? FLAG_BOX : 0, true)
  view.setUint32(8, frames.length, true)
  view.setUint32(12, atomCount, true)
  let at = CHUNK_HEADER_BYTES
  for (let f = 0; f < frames.length; f++) {
    const frame = frames[f]
    if (frame.positionsNm.length !== sourceAtoms * 3) throw new ChunkFormatError(`Frame ${f} has ${frame.positionsNm.length / 3} atoms, the first frame ${sourceAtoms}.`)
    if ((frame.box != null) !== hasBox) throw new ChunkFormatError(`Frame ${f} ${hasBox ? 'lacks' : 'has'} a periodic box unlike the first frame.`)
    if (!Number.isSafeInteger(frame.step) || frame.step < 0) throw new ChunkFormatError(`Frame ${f} has step ${frame.step}; steps are non-negative integers.`)
    view.setFloat64(at, frame.step, true)
    view.setFloat64(at + 8, frame.timePs, true)
    view.setFloat64(at + 16, frame.potentialEnergy, true)
    view.setFloat64(at + 24, frame.kineticEnergy, true)
    view.setFloat64(at + 32, frame.temperatureK, true)
    let p = at + SCALARS_PER_FRAME * 8
    if (frame.box != null) {
      for (let k = 0; k < BOX_VALUES; k++) view.setFloat64(p + 8 * k, frame.box[k], true)
      p += BOX_VALUES * 8
    }
    if (atomSelection == null && HOST_IS_LITTLE_ENDIAN) {
      const positions = frame.positionsNm
      out.set(new Uint8Array(positions.buffer, positions.byteOffset, positions.byteLength), p)
    } else {
      for (let i = 0; i < atomCount; i++) {
        const atom = atomSelection != null ? atomSelection[i] : i
        view.setFloat32(p, frame.positionsNm[3 * atom], true)
        view.setFloat32(p + 4, frame.positionsNm[3 * atom + 1], true)
        view.setFloat32(p + 8, frame.positionsNm[3 * atom + 2], true)
        p += 12
      }
    }
    at += frameBytes
  }
  view.setUint32(at, crc32(out.subarray(0, at)), true)
  return out
}

/** Reads and checks a chunk's header and total length (not its checksum). Throws ChunkFormatError. */
export function readChunkHeader (bytes: Uint8Array, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): ChunkHeader {
  if (bytes.byteLength < CHUNK_HEADER_BYTES + CHUNK_TRAILER_BYTES) throw new ChunkFormatError(`A chunk of ${bytes.byteLength} bytes is too short to hold a header.`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== CHUNK_MAGIC) throw new ChunkFormatError('Not an mdswarm frame chunk (bad magic).')
  const version = view.getUint16(4, true)
  if (version !== CHUNK_VERSION) throw new ChunkFormatError(`Chunk version ${version} is not supported (this build reads version ${CHUNK_VERSION}); upgrade mdswarm.`)
  const flags = view.getUint16(6, true)
  if ((flags & ~FLAG_BOX) !== 0) throw new ChunkFormatError(`Unknown chunk flags ${flags}.`)
  const frameCount = view.getUint32(8, true)
  const atomCount = view.getUint32(12, true)
  if (frameCount === 0 || frameCount > limits.maxFrames) throw new ChunkFormatError(`A chunk with ${frameCount} frames is outside [1, ${limits.maxFrames}].`)
  if (atomCount === 0 || atomCount > limits.maxAtoms) throw new ChunkFormatError(`A chunk with ${atomCount} atoms per frame is outside [1, ${limits.maxAtoms}].`)
  const hasBox = (flags & FLAG_BOX) !== 0
  const expected = chunkByteLength(frameCount, atomCount, hasBox)
  if (bytes.byteLength !== expected) throw new ChunkFormatError(`The chunk is ${bytes.byteLength} bytes; its header announces ${expected} (truncated or padded).`)
  return { version, frameCount, atomCount, hasBox }
}

/** Checks the CRC32 trailer. Throws ChunkChecksumError. */
export function verifyChunkChecksum (bytes: Uint8Array): void {
  const at = bytes.byteLength - CHUNK_TRAILER_BYTES
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true)
  const actual = crc32(bytes.subarray(0, at))
  if (stored !== actual) throw new ChunkChecksumError(stored, actual)
}

function finiteOrThrow (value: number, what: string, frame: number): number {
  if (!Number.isFinite(value)) throw new ChunkFormatError(`Frame ${frame} of the chunk has a non-finite ${what}.`)
  return value
}

/**
 * Decodes a chunk into frames (positions for the kept atoms only). Throws
 * ChunkFormatError (truncated, bad header, non-finite values) or
 * ChunkChecksumError (corrupted).
 */
export function decodeChunk (bytes: Uint8Array, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): Frame[] {
  const header = readChunkHeader(bytes, limits)
  verifyChunkChecksum(bytes)
  const { frameCount, atomCount, hasBox } = header
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const frameBytes = chunkFrameBytes(atomCount, hasBox)
  const frames: Frame[] = new Array(frameCount)
  let at = CHUNK_HEADER_BYTES
  for (let f = 0; f < frameCount; f++) {
    const step = view.getFloat64(at, true)
    if (!Number.isSafeInteger(step) || step < 0) throw new ChunkFormatError(`Frame ${f} of the chunk has step ${step}.`)
    const timePs = finiteOrThrow(view.getFloat64(at + 8, true), 'time', f)
    const potentialEnergy = finiteOrThrow(view.getFloat64(at + 16, true), 'potential energy', f)
    const kineticEnergy = finiteOrThrow(view.getFloat64(at + 24, true), 'kinetic energy', f)
    const temperatureK = finiteOrThrow(view.getFloat64(at + 32, true), 'temperature', f)
    let p = at + SCALARS_PER_FRAME * 8
    let box: Float64Array | null = null
    if (hasBox) {
      box = new Float64Array(BOX_VALUES)
      for (let k = 0; k < BOX_VALUES; k++) box[k] = finiteOrThrow(view.getFloat64(p + 8 * k, true), 'box vector', f)
      p += BOX_VALUES * 8
    }
    const positionsNm = new Float32Array(3 * atomCount)
    if (HOST_IS_LITTLE_ENDIAN) {
      new Uint8Array(positionsNm.buffer).set(bytes.subarray(p, p + positionsNm.byteLength))
    } else {
      for (let i = 0; i < positionsNm.length; i++) positionsNm[i] = view.getFloat32(p + 4 * i, true)
    }
    for (let i = 0; i < positionsNm.length; i++) {
      if (!Number.isFinite(positionsNm[i])) throw new ChunkFormatError(`Frame ${f} of the chunk has a non-finite coordinate for atom ${Math.floor(i / 3)}.`)
    }
    frames[f] = { step, timePs, positionsNm, box, potentialEnergy, kineticEnergy, temperatureK }
    at += frameBytes
  }
  return frames
}
