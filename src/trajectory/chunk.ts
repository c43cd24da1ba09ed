/**
 * A trajectory chunk: consecutive frames of one work unit, compressed,
 * self-describing and verifiable.
 *
 * Layout, little-endian:
 *   header (48 bytes): magic 'MDTC' u32 | codec version u16 | flags u16
 *     (1 lossless, 2 box, 4 atom selection) | atomCount u32 | frameCount u32 |
 *     firstStep f64 | lastStep f64 | precision f64 nm (0 when lossless) |
 *     total bytes u32 | sourceAtomCount u32 (atoms before the selection)
 *   [atom selection: atomCount zigzag varints, each index − previous − 1]
 *   frame scalars (frame-metadata.ts)
 *   coordinates (coordinate-coder.ts)
 *   CRC32 u32 of everything before it
 */
import { Buffer } from 'node:buffer'
import { crc32 } from 'node:zlib'
import type { Frame } from '../engine/frame.ts'
import { ByteReader, ByteWriter } from './byte-io.ts'
import { decodeCoordinates, encodeCoordinates, type CoordinateBlock } from './coordinate-coder.ts'
import {
  CHUNK_HEADER_BYTES, CHUNK_TRAILER_BYTES, DEFAULT_CHUNK_LIMITS, DEFAULT_PRECISION_NM, FLAG_BOX, FLAG_LOSSLESS,
  FLAG_SELECTION, KNOWN_FLAGS, TRAJECTORY_CHUNK_MAGIC, TRAJECTORY_CODEC_VERSION, type ChunkLimits
} from './constants.ts'
import {
  ChunkChecksumMismatchError, ChunkCorruptedError, ChunkTooLargeError, ChunkTruncatedError, ChunkVersionError, InvalidFramesError,
  TrajectoryCodecError
} from './errors.ts'
import { frameScalarsMaxBytes, readFrameScalars, writeFrameScalars, type FrameScalars } from './frame-metadata.ts'
import { unzigzag, zigzag } from './tokens.ts'
import { scratchFloat32 } from './scratch.ts'

export interface EncodeOptions {
  /** Largest allowed error per coordinate is half of this, nm. Default 0.001 (XTC's default). */
  precisionNm?: number
  /** Keep float32 positions bit for bit (precisionNm is then ignored). */
  lossless?: boolean
  /** Keep only these atoms (0-based indices into the frames), in this order. */
  atomSelection?: ArrayLike<number>
}

/** What a chunk's header says (readable without decoding). */
export interface ChunkInfo {
  readonly version: number
  readonly atomCount: number
  /** Atoms per frame before the atom selection. */
  readonly sourceAtomCount: number
  readonly frameCount: number
  readonly firstStep: number
  readonly lastStep: number
  /** nm; 0 when lossless. */
  readonly precisionNm: number
  readonly lossless: boolean
  readonly hasBox: boolean
  readonly hasSelection: boolean
  /** Total encoded length, bytes. */
  readonly byteLength: number
}

export interface DecodedChunk extends ChunkInfo {
  /** Indices of the kept atoms in the source frames, or null when all were kept. */
  readonly atomSelection: Int32Array | null
  /** frameCount × atomCount × 3 positions, nm. */
  readonly positionsNm: Float32Array
  /** 9 values per frame (nm), or null. */
  readonly boxes: Float64Array | null
  readonly steps: Float64Array
  /** ps */
  readonly timesPs: Float64Array
  /** kJ/mol */
  readonly potentialEnergies: Float64Array
  /** kJ/mol */
  readonly kineticEnergies: Float64Array
  readonly temperaturesK: Float64Array
}

const MIN_PRECISION_NM = 1e-7
const MAX_PRECISION_NM = 1

function checkSelection (selection: ArrayLike<number>, sourceAtoms: number): Int32Array {
  if (selection.length === 0) throw new InvalidFramesError('The atom selection is empty; keep at least one atom.')
  const out = new Int32Array(selection.length)
  for (let i = 0; i < selection.length; i++) {
    const atom = selection[i]
    if (!Number.isInteger(atom) || atom < 0 || atom >= sourceAtoms) throw new InvalidFramesError(`Atom selection index ${atom} is outside the ${sourceAtoms} atoms of the frames.`)
    out[i] = atom
  }
  return out
}

/** Encodes frames (same atom count; all with or all without a box) into one chunk. Throws InvalidFramesError, CoordinateRangeError. */
export function encodeFrames (frames: readonly Frame[], options: EncodeOptions = {}): Uint8Array {
  if (frames.length === 0) throw new InvalidFramesError('A trajectory chunk needs at least one frame.')
  const lossless = options.lossless === true
  const precisionNm = lossless ? 0 : (options.precisionNm ?? DEFAULT_PRECISION_NM)
  if (!lossless && !(precisionNm >= MIN_PRECISION_NM && precisionNm <= MAX_PRECISION_NM)) {
    throw new InvalidFramesError(`A precision of ${precisionNm} nm is outside [${MIN_PRECISION_NM}, ${MAX_PRECISION_NM}] nm.`)
  }
  const sourceAtoms = frames[0].positionsNm.length / 3
  if (!Number.isInteger(sourceAtoms) || sourceAtoms === 0) throw new InvalidFramesError(`A frame has ${frames[0].positionsNm.length} position values, not 3 per atom.`)
  const selection = options.atomSelection != null ? checkSelection(options.atomSelection, sourceAtoms) : null
  const atomCount = selection !== null ? selection.length : sourceAtoms
  const frameCount = frames.length
  const hasBox = frames[0].box != null
  const stride = 3 * atomCount
  // Gathered positions live in reused scratch memory: fresh megabytes per chunk cost page faults and GC.
  const coords = scratchFloat32('encode-positions', frameCount * stride)
  const steps = new Float64Array(frameCount)
  const timesPs = new Float64Array(frameCount)
  const potentialEnergies = new Float64Array(frameCount)
  const kineticEnergies = new Float64Array(frameCount)
  const temperaturesK = new Float64Array(frameCount)
  const boxes = hasBox ? new Float64Array(9 * frameCount) : null
  for (let f = 0; f < frameCount; f++) {
    const frame = frames[f]
    const positions = frame.positionsNm
    if (positions.length !== 3 * sourceAtoms) throw new InvalidFramesError(`Frame ${f} has ${positions.length / 3} atoms, the first frame ${sourceAtoms}.`)
    if ((frame.box != null) !== hasBox) throw new InvalidFramesError(`Frame ${f} ${hasBox ? 'lacks' : 'has'} a periodic box unlike the first frame.`)
    if (!Number.isSafeInteger(frame.step) || frame.step < 0) throw new InvalidFramesError(`Frame ${f} has step ${frame.step}; steps are non-negative integers.`)
    if (f > 0 && frame.step <= steps[f - 1]) throw new InvalidFramesError(`Frame ${f} has step ${frame.step}, not after the previous frame's ${steps[f - 1]}.`)
    if (!Number.isFinite(frame.timePs)) throw new InvalidFramesError(`Frame ${f} has a non-finite time.`)
    steps[f] = frame.step
    timesPs[f] = frame.timePs
    potentialEnergies[f] = frame.potentialEnergy
    kineticEnergies[f] = frame.kineticEnergy
    temperaturesK[f] = frame.temperatureK
    if (boxes !== null && frame.box != null) {
      for (let k = 0; k < 9; k++) {
        const value = frame.box[k]
        if (!Number.isFinite(value)) throw new InvalidFramesError(`Frame ${f} has a non-finite box vector.`)
        boxes[9 * f + k] = value
      }
    }
    const base = f * stride
    if (selection === null) coords.set(positions, base)
    else {
      for (let i = 0; i < atomCount; i++) {
        const atom = selection[i]
        coords[base + 3 * i] = positions[3 * atom]
        coords[base + 3 * i + 1] = positions[3 * atom + 1]
        coords[base + 3 * i + 2] = positions[3 * atom + 2]
      }
    }
  }

  return writeChunk({ coords, atomCount, frameCount, precisionNm, lossless }, { steps, timesPs, potentialEnergies, kineticEnergies, temperaturesK, boxes }, selection, sourceAtoms)
}

/**
 * The most bytes a chunk of `frameCount` frames of `atomCount` atoms can
 * take (coordinates that do not compress are stored as float32), with an
 * atom selection of that many atoms when `hasSelection`.
 */
export function chunkByteBound (frameCount: number, atomCount: number, options: { hasBox: boolean, hasSelection: boolean }): number {
  return CHUNK_HEADER_BYTES + (options.hasSelection ? 5 * atomCount : 0) + frameScalarsMaxBytes(frameCount, options.hasBox) + 1 + 12 * frameCount * atomCount + CHUNK_TRAILER_BYTES
}

/** Assembles a chunk from gathered coordinates and scalars. */
function writeChunk (block: CoordinateBlock, scalars: FrameScalars, selection: Int32Array | null, sourceAtoms: number): Uint8Array {
  const { atomCount, frameCount, precisionNm, lossless } = block
  const { steps, boxes } = scalars
  const hasBox = boxes !== null
  const section = encodeCoordinates(block)
  const capacity = CHUNK_HEADER_BYTES + (selection !== null ? 5 * atomCount : 0) + frameScalarsMaxBytes(frameCount, hasBox) + section.length + CHUNK_TRAILER_BYTES
  const writer = new ByteWriter(capacity)
  writer.u32(TRAJECTORY_CHUNK_MAGIC)
  writer.u16(TRAJECTORY_CODEC_VERSION)
  writer.u16((lossless ? FLAG_LOSSLESS : 0) | (hasBox ? FLAG_BOX : 0) | (selection !== null ? FLAG_SELECTION : 0))
  writer.u32(atomCount)
  writer.u32(frameCount)
  writer.f64(steps[0])
  writer.f64(steps[frameCount - 1])
  writer.f64(precisionNm)
  writer.u32(0) // total bytes, patched below
  writer.u32(sourceAtoms)
  if (selection !== null) {
    let previous = -1
    for (let i = 0; i < atomCount; i++) { writer.varint(zigzag(selection[i] - previous - 1)); previous = selection[i] }
  }
  writeFrameScalars(writer, scalars)
  writer.raw(section)
  const total = writer.offset + CHUNK_TRAILER_BYTES
  writer.view.setUint32(40, total, true)
  writer.u32(crc32(writer.bytes.subarray(0, writer.offset)))
  return writer.bytes.subarray(0, total)
}

/** Reads a chunk's header from its first CHUNK_HEADER_BYTES bytes and checks it against the limits. */
export function readChunkInfo (bytes: Uint8Array, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): ChunkInfo {
  if (bytes.length >= 4) {
    const magic = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0
    if (magic !== TRAJECTORY_CHUNK_MAGIC) throw new ChunkCorruptedError('These bytes are not an mdswarm trajectory chunk (bad magic number).')
  }
  if (bytes.length < CHUNK_HEADER_BYTES) throw new ChunkTruncatedError(bytes.length, CHUNK_HEADER_BYTES)
  const view = new DataView(bytes.buffer, bytes.byteOffset, CHUNK_HEADER_BYTES)
  const version = view.getUint16(4, true)
  if (version !== TRAJECTORY_CODEC_VERSION) throw new ChunkVersionError(version, TRAJECTORY_CODEC_VERSION)
  const flags = view.getUint16(6, true)
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new ChunkCorruptedError(`The trajectory chunk has unknown flags ${flags}.`)
  const atomCount = view.getUint32(8, true)
  const frameCount = view.getUint32(12, true)
  const firstStep = view.getFloat64(16, true)
  const lastStep = view.getFloat64(24, true)
  const precisionNm = view.getFloat64(32, true)
  const byteLength = view.getUint32(40, true)
  const sourceAtomCount = view.getUint32(44, true)
  const lossless = (flags & FLAG_LOSSLESS) !== 0
  if (atomCount === 0 || frameCount === 0) throw new ChunkCorruptedError(`The trajectory chunk announces ${frameCount} frames of ${atomCount} atoms.`)
  if (byteLength > limits.maxChunkBytes) throw new ChunkTooLargeError(`The trajectory chunk announces ${byteLength} bytes, more than the limit of ${limits.maxChunkBytes}.`)
  if (frameCount > limits.maxFrames) throw new ChunkTooLargeError(`The trajectory chunk announces ${frameCount} frames, more than the limit of ${limits.maxFrames}.`)
  if (atomCount > limits.maxAtoms || sourceAtomCount > limits.maxAtoms) throw new ChunkTooLargeError(`The trajectory chunk announces ${Math.max(atomCount, sourceAtomCount)} atoms, more than the limit of ${limits.maxAtoms}.`)
  if (3 * atomCount * frameCount > limits.maxDecodedValues) throw new ChunkTooLargeError(`The trajectory chunk would decode to ${3 * atomCount * frameCount} coordinates, more than the limit of ${limits.maxDecodedValues}.`)
  if (byteLength < CHUNK_HEADER_BYTES + CHUNK_TRAILER_BYTES) throw new ChunkCorruptedError(`The trajectory chunk announces an impossible length of ${byteLength} bytes.`)
  if (!lossless && !(precisionNm >= MIN_PRECISION_NM && precisionNm <= MAX_PRECISION_NM)) throw new ChunkCorruptedError(`The trajectory chunk announces an impossible precision of ${precisionNm} nm.`)
  if (!Number.isSafeInteger(firstStep) || !Number.isSafeInteger(lastStep) || firstStep < 0 || lastStep < firstStep) throw new ChunkCorruptedError(`The trajectory chunk announces an impossible step range ${firstStep}–${lastStep}.`)
  if (sourceAtomCount === 0 || ((flags & FLAG_SELECTION) === 0 && sourceAtomCount !== atomCount)) throw new ChunkCorruptedError('The trajectory chunk\'s atom counts contradict each other.')
  return {
    version, atomCount, sourceAtomCount, frameCount, firstStep, lastStep, precisionNm, lossless,
    hasBox: (flags & FLAG_BOX) !== 0,
    hasSelection: (flags & FLAG_SELECTION) !== 0,
    byteLength
  }
}

/** Checks length and CRC32 of a whole chunk; returns its header. */
export function verifyChunk (bytes: Uint8Array, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): ChunkInfo {
  const info = readChunkInfo(bytes, limits)
  if (bytes.length < info.byteLength) throw new ChunkTruncatedError(bytes.length, info.byteLength)
  if (bytes.length > info.byteLength) throw new ChunkCorruptedError(`The trajectory chunk is ${bytes.length} bytes but its header announces ${info.byteLength} (padded or two chunks run together).`)
  const at = info.byteLength - CHUNK_TRAILER_BYTES
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(at, true)
  const computed = crc32(bytes.subarray(0, at))
  if (stored !== computed) throw new ChunkChecksumMismatchError(stored, computed)
  return info
}

/**
 * Decodes one whole chunk. Throws ChunkTruncatedError, ChunkCorruptedError,
 * ChunkChecksumMismatchError, ChunkVersionError or ChunkTooLargeError.
 */
export function decodeFrames (bytes: Uint8Array, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): DecodedChunk {
  const info = verifyChunk(bytes, limits)
  try {
    return decodeVerified(bytes, info)
  } catch (err) {
    if (err instanceof TrajectoryCodecError) throw err
    // Content that passed the checksum but breaks an invariant (forged or a bug): still a typed error.
    throw new ChunkCorruptedError(`The trajectory chunk's content is inconsistent: ${(err as Error).message}`)
  }
}

/**
 * A new Float32Array of `length` values with its own ArrayBuffer, not zeroed
 * (the decoder writes every value, or throws and drops it): zeroing
 * megabytes of fresh memory per chunk is wasted work.
 */
function unfilledFloat32 (length: number): Float32Array {
  const bytes = Buffer.allocUnsafeSlow(4 * length)
  return new Float32Array(bytes.buffer, bytes.byteOffset, length)
}

function decodeVerified (bytes: Uint8Array, info: ChunkInfo): DecodedChunk {
  const reader = new ByteReader(bytes, CHUNK_HEADER_BYTES, info.byteLength - CHUNK_TRAILER_BYTES)
  let atomSelection: Int32Array | null = null
  if (info.hasSelection) {
    atomSelection = new Int32Array(info.atomCount)
    let previous = -1
    for (let i = 0; i < info.atomCount; i++) {
      const atom = previous + 1 + unzigzag(reader.varint())
      if (!(atom >= 0 && atom < info.sourceAtomCount)) throw new ChunkCorruptedError(`The trajectory chunk's atom selection names atom ${atom} of ${info.sourceAtomCount}.`)
      atomSelection[i] = atom
      previous = atom
    }
  }
  const scalars = readFrameScalars(reader, info.frameCount, info.hasBox)
  if (scalars.steps[0] !== info.firstStep || scalars.steps[info.frameCount - 1] !== info.lastStep) throw new ChunkCorruptedError('The trajectory chunk\'s steps contradict its header.')
  const positionsNm = unfilledFloat32(3 * info.atomCount * info.frameCount)
  decodeCoordinates(reader, info.atomCount, info.frameCount, info.precisionNm, info.lossless, positionsNm)
  if (reader.offset !== reader.end) throw new ChunkCorruptedError('The trajectory chunk has unread bytes after its coordinates.')
  return { ...info, atomSelection, positionsNm, ...scalars }
}

/** The frames of a decoded chunk; positions are views into `chunk.positionsNm` (no copy). */
export function chunkFrames (chunk: DecodedChunk): Frame[] {
  const frames: Frame[] = new Array(chunk.frameCount)
  const stride = 3 * chunk.atomCount
  for (let f = 0; f < chunk.frameCount; f++) {
    frames[f] = {
      step: chunk.steps[f],
      timePs: chunk.timesPs[f],
      positionsNm: chunk.positionsNm.subarray(f * stride, (f + 1) * stride),
      box: chunk.boxes !== null ? chunk.boxes.subarray(9 * f, 9 * f + 9) : null,
      potentialEnergy: chunk.potentialEnergies[f],
      kineticEnergy: chunk.kineticEnergies[f],
      temperatureK: chunk.temperaturesK[f]
    }
  }
  return frames
}

/**
 * The chunk without its first `count` frames (for a re-sent chunk that
 * overlaps frames already stored). Frames are coded against earlier ones, so
 * the rest is re-encoded — losslessly, which keeps the decoded coordinates
 * (already within half the precision of the originals) exactly, together
 * with the atom selection, box, steps, times and energies.
 */
export function dropLeadingFrames (bytes: Uint8Array, count: number, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): Uint8Array {
  const chunk = decodeFrames(bytes, limits)
  if (!Number.isInteger(count) || count < 0 || count >= chunk.frameCount) throw new InvalidFramesError(`Cannot drop ${count} of the chunk's ${chunk.frameCount} frames; at least one must remain.`)
  if (count === 0) return bytes
  const stride = 3 * chunk.atomCount
  const frameCount = chunk.frameCount - count
  return writeChunk(
    { coords: chunk.positionsNm.slice(count * stride), atomCount: chunk.atomCount, frameCount, precisionNm: 0, lossless: true },
    {
      steps: chunk.steps.subarray(count),
      timesPs: chunk.timesPs.subarray(count),
      potentialEnergies: chunk.potentialEnergies.subarray(count),
      kineticEnergies: chunk.kineticEnergies.subarray(count),
      temperaturesK: chunk.temperaturesK.subarray(count),
      boxes: chunk.boxes !== null ? chunk.boxes.subarray(9 * count) : null
    },
    chunk.atomSelection,
    chunk.sourceAtomCount
  )
}
