/**
 * Portable, engine-independent checkpoints: positions, velocities, box,
 * step, time and the stochastic integrator's random-generator state.
 *
 * Binary layout (little-endian):
 *
 *   offset  size      field
 *   0       7         magic "MDSWCHK"
 *   7       1         format version (1)
 *   8       4  u32    particleCount N
 *   12      4  u32    flags: bit 0 box present, bit 1 rng state present
 *   16      4  u32    rng state length R (32-bit words; 0 when absent)
 *   20      4  u32    reserved (0)
 *   24      8  f64    step (integer, exact up to 2^53)
 *   32      8  f64    time, ps
 *   40      24N f64   positions, nm
 *   ..      24N f64   velocities, nm/ps
 *   ..      72  f64   box vectors a, b, c (nm), only when flagged
 *   ..      4R  u32   rng state words, only when flagged: the stochastic integrator's generator
 *                     (7 words) and/or the barostat's state (13 words; see Context.rngState)
 *   end-4   4  u32    CRC-32 (IEEE) of every byte before it
 *
 * @example
 * const bytes = encodeCheckpoint(simulation.checkpoint())
 * const restored = decodeCheckpoint(bytes)
 */
import { CheckpointError } from './errors.ts'
import type { BoxVectors } from './system.ts'

export interface Checkpoint {
  particleCount: number
  /** nm, length 3N */
  positionsNm: Float64Array
  /** nm/ps, length 3N */
  velocitiesNmPerPs: Float64Array
  box: BoxVectors | null
  step: number
  timePs: number
  /** Random state: a stochastic integrator's generator and/or a barostat's state (see Context.rngState), or null. */
  rngState: Uint32Array | null
}

export const CHECKPOINT_MAGIC = 'MDSWCHK'
export const CHECKPOINT_VERSION = 1
const HEADER_BYTES = 40
const CRC_BYTES = 4
const FLAG_BOX = 1
const FLAG_RNG = 2
/** Sanity bound on the rng state length read from a header. */
const MAX_RNG_WORDS = 1024

export function encodeCheckpoint (c: Checkpoint): Uint8Array {
  const n = c.particleCount
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CheckpointError(`Cannot write a checkpoint for ${n} particles.`)
  if (c.positionsNm.length !== 3 * n || c.velocitiesNmPerPs.length !== 3 * n) {
    throw new CheckpointError(`Checkpoint arrays do not match its ${n} particles (positions ${c.positionsNm.length}, velocities ${c.velocitiesNmPerPs.length}).`)
  }
  if (c.box !== null && c.box.length !== 9) throw new CheckpointError('Checkpoint box must have 9 components.')
  if (!Number.isSafeInteger(c.step) || c.step < 0) throw new CheckpointError(`Checkpoint step must be a non-negative integer, got ${c.step}.`)
  const rngWords = c.rngState === null ? 0 : c.rngState.length
  if (rngWords > MAX_RNG_WORDS) throw new CheckpointError('Random generator state too large for a checkpoint.')
  const total = HEADER_BYTES + 48 * n + (c.box === null ? 0 : 72) + 4 * rngWords + CRC_BYTES
  const bytes = new Uint8Array(total)
  const view = new DataView(bytes.buffer)
  for (let i = 0; i < CHECKPOINT_MAGIC.length; i++) bytes[i] = CHECKPOINT_MAGIC.charCodeAt(i)
  bytes[7] = CHECKPOINT_VERSION
  view.setUint32(8, n, true)
  view.setUint32(12, (c.box === null ? 0 : FLAG_BOX) | (c.rngState === null ? 0 : FLAG_RNG), true)
  view.setUint32(16, rngWords, true)
  view.setUint32(20, 0, true)
  view.setFloat64(24, c.step, true)
  view.setFloat64(32, c.timePs, true)
  let at = HEADER_BYTES
  for (let k = 0; k < 3 * n; k++, at += 8) view.setFloat64(at, c.positionsNm[k], true)
  for (let k = 0; k < 3 * n; k++, at += 8) view.setFloat64(at, c.velocitiesNmPerPs[k], true)
  if (c.box !== null) for (let k = 0; k < 9; k++, at += 8) view.setFloat64(at, c.box[k], true)
  for (let k = 0; k < rngWords; k++, at += 4) view.setUint32(at, c.rngState![k], true)
  view.setUint32(at, crc32(bytes.subarray(0, at)), true)
  return bytes
}

/** Reads a checkpoint; CheckpointError when it is truncated, corrupted, of another format version, or holds non-finite numbers. */
export function decodeCheckpoint (bytes: Uint8Array): Checkpoint {
  if (bytes.length < HEADER_BYTES + CRC_BYTES) {
    throw new CheckpointError(`Checkpoint is truncated: ${bytes.length} bytes is shorter than its header.`)
  }
  for (let i = 0; i < CHECKPOINT_MAGIC.length; i++) {
    if (bytes[i] !== CHECKPOINT_MAGIC.charCodeAt(i)) throw new CheckpointError('Not an mdswarm checkpoint (wrong magic bytes).')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = bytes[7]
  if (version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`Checkpoint format version ${version} is not supported (this build reads version ${CHECKPOINT_VERSION}).`)
  }
  const n = view.getUint32(8, true)
  const flags = view.getUint32(12, true)
  const rngWords = view.getUint32(16, true)
  if ((flags & ~(FLAG_BOX | FLAG_RNG)) !== 0 || rngWords > MAX_RNG_WORDS || ((flags & FLAG_RNG) === 0 && rngWords !== 0)) {
    throw new CheckpointError('Checkpoint header is corrupted.')
  }
  const hasBox = (flags & FLAG_BOX) !== 0
  const hasRng = (flags & FLAG_RNG) !== 0
  const expected = HEADER_BYTES + 48 * n + (hasBox ? 72 : 0) + 4 * rngWords + CRC_BYTES
  if (bytes.length < expected) throw new CheckpointError(`Checkpoint is truncated: ${bytes.length} of ${expected} bytes.`)
  if (bytes.length > expected) throw new CheckpointError(`Checkpoint has ${bytes.length - expected} unexpected trailing bytes.`)
  const crcAt = expected - CRC_BYTES
  if (view.getUint32(crcAt, true) !== crc32(bytes.subarray(0, crcAt))) {
    throw new CheckpointError('Checkpoint is corrupted (CRC-32 mismatch).')
  }
  const step = view.getFloat64(24, true)
  const timePs = view.getFloat64(32, true)
  if (!Number.isSafeInteger(step) || step < 0 || !Number.isFinite(timePs)) {
    throw new CheckpointError('Checkpoint holds an invalid step or time.')
  }
  let at = HEADER_BYTES
  const positionsNm = new Float64Array(3 * n)
  const velocitiesNmPerPs = new Float64Array(3 * n)
  for (let k = 0; k < 3 * n; k++, at += 8) positionsNm[k] = view.getFloat64(at, true)
  for (let k = 0; k < 3 * n; k++, at += 8) velocitiesNmPerPs[k] = view.getFloat64(at, true)
  let box: BoxVectors | null = null
  if (hasBox) {
    box = new Float64Array(9)
    for (let k = 0; k < 9; k++, at += 8) box[k] = view.getFloat64(at, true)
  }
  let rngState: Uint32Array | null = null
  if (hasRng) {
    rngState = new Uint32Array(rngWords)
    for (let k = 0; k < rngWords; k++, at += 4) rngState[k] = view.getUint32(at, true)
  }
  for (const array of [positionsNm, velocitiesNmPerPs, box ?? new Float64Array(0)]) {
    for (let k = 0; k < array.length; k++) {
      if (!Number.isFinite(array[k])) throw new CheckpointError('Checkpoint holds non-finite coordinates, velocities or box vectors.')
    }
  }
  return { particleCount: n, positionsNm, velocitiesNmPerPs, box, step, timePs, rngState }
}

let crcTable: Uint32Array | null = null

/** CRC-32 (IEEE 802.3, as zlib and PNG). */
export function crc32 (data: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256)
    for (let i = 0; i < 256; i++) {
      let c = i
      for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      crcTable[i] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}
