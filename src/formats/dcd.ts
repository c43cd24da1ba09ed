/**
 * DCD trajectories, byte for byte as OpenMM's `DCDFile` / `DCDReporter` write
 * them (CHARMM flavour, little-endian, optional unit cell record), so that
 * mdtraj, MDAnalysis, VMD and OpenMM itself read what mdswarm writes.
 *
 * Layout (every record is framed by a 4-byte length before and after):
 *   header   84 bytes: 'CORD', 20 control ints (nset, istart, nsavc, nstep,
 *            ..., delta as float32 in AKMA time units, unit cell flag, ...,
 *            CHARMM version 24)
 *   titles   4 + 80 * ntitle bytes
 *   natom    4 bytes
 *   per frame: [unit cell: 6 float64 = a, cos(gamma), b, cos(beta),
 *               cos(alpha), c; lengths in Å], then X, Y, Z records of
 *               natom float32 each, in Å.
 *
 * `DcdWriter` streams frames to a file and patches the frame count in the
 * header after every frame, so the file is a valid DCD at every moment
 * between frames (OpenMM does the same).
 *
 * @example
 * const writer = DcdWriter.create('out.dcd', { atomCount: 22, timeStepPs: 0.002, interval: 100, firstStep: 100, hasUnitCell: false })
 * writer.writeFrame(frame.positionsNm, frame.box)
 * writer.close()
 * const trajectory = readDcd(fs.readFileSync('out.dcd'))
 */
import * as fs from 'node:fs'
import type { BoxVectors } from '../engine/system.ts'
import { InvalidCoordinatesError } from '../engine/errors.ts'
import { boxFromLengthsAndAngles } from '../engine/box.ts'
import { DcdFormatError } from './errors.ts'

/** One AKMA time unit (CHARMM's internal time), ps; DCD stores the time step in it. */
export const AKMA_TIME_UNIT_PS = 0.04888821
/** Bytes of the unit cell record of one frame: markers and 6 float64. */
export const UNIT_CELL_RECORD_BYTES = 4 + 48 + 4
/** Bytes of the control record: marker, 'CORD', 20 int32/float32, marker. */
const CONTROL_RECORD_BYTES = 4 + 84 + 4
/** Width of one title line, bytes. */
const TITLE_BYTES = 80
/** Byte offset of nset (the frame count) in the file. */
const FRAME_COUNT_OFFSET = 8
/** Byte offset of nstep (the last step) in the file. */
const LAST_STEP_OFFSET = 20
/** CHARMM version OpenMM writes into icntrl[19]. */
const CHARMM_VERSION = 24

/** What a DCD's header says. */
export interface DcdHeader {
  /** Byte order of the file. */
  readonly littleEndian: boolean
  readonly atomCount: number
  /** nset: frames the header claims (0 in files whose writer never updated it). */
  readonly frameCountInHeader: number
  /** istart: step of the first frame. */
  readonly firstStep: number
  /** nsavc: steps between frames. */
  readonly interval: number
  /** nstep as written (OpenMM: firstStep + frames * interval). */
  readonly lastStep: number
  /** Integration time step, ps (stored in AKMA units). */
  readonly timeStepPs: number
  /** Whether every frame carries a unit cell record. */
  readonly hasUnitCell: boolean
  /** icntrl[19]; 0 means an X-PLOR file. */
  readonly charmmVersion: number
  readonly titles: readonly string[]
  /** Bytes before the first frame. */
  readonly headerByteLength: number
  /** Bytes of one frame. */
  readonly frameByteLength: number
}

/** A unit cell as stored in DCD: lengths in Å and angles in degrees. */
export interface DcdUnitCell {
  readonly aAngstrom: number
  readonly bAngstrom: number
  readonly cAngstrom: number
  /** Angle between b and c, degrees. */
  readonly alphaDeg: number
  /** Angle between a and c, degrees. */
  readonly betaDeg: number
  /** Angle between a and b, degrees. */
  readonly gammaDeg: number
}

/** A DCD read into memory. */
export interface DcdTrajectory {
  readonly header: DcdHeader
  /** Complete frames read (may be fewer than the header's when `allowTruncated`). */
  readonly frameCount: number
  /** Per frame: positions in Å, interleaved [x0, y0, z0, x1, ...], length 3 * atomCount. */
  readonly positionsAngstrom: Float32Array[]
  /** Per frame: the unit cell, or null when the file has none. */
  readonly unitCells: Array<DcdUnitCell | null>
}

/** What a new DCD's header says. */
export interface DcdHeaderOptions {
  readonly atomCount: number
  /** Integration time step, ps. */
  readonly timeStepPs: number
  /** Steps between frames. */
  readonly interval: number
  /** Step of the first frame (OpenMM: the simulation's step at its first report). */
  readonly firstStep: number
  /** Write a unit cell record with every frame (periodic systems). */
  readonly hasUnitCell: boolean
  /** Frames already in the file (0 for a new one). */
  readonly frameCount?: number
  /** First title line; default 'Created by mdswarm'. */
  readonly title?: string
  /** Time written into the second title line; default now. */
  readonly createdAt?: Date
  /** Byte order; default little-endian as OpenMM. Big-endian exists for tests and for odd consumers. */
  readonly littleEndian?: boolean
}

/** Bytes of one frame of `atomCount` atoms. */
export function dcdFrameByteLength (atomCount: number, hasUnitCell: boolean): number {
  return (hasUnitCell ? UNIT_CELL_RECORD_BYTES : 0) + 3 * (8 + 4 * atomCount)
}

/** The header of a new DCD file (276 bytes), exactly as OpenMM's DCDFile writes it. */
export function encodeDcdHeader (options: DcdHeaderOptions): Uint8Array {
  checkAtomCount(options.atomCount)
  const littleEndian = options.littleEndian ?? true
  const bytes = new Uint8Array(CONTROL_RECORD_BYTES + (4 + 4 + 2 * TITLE_BYTES + 4) + 12)
  const view = new DataView(bytes.buffer)
  const frameCount = options.frameCount ?? 0
  let offset = 0
  const int = (value: number): void => { view.setInt32(offset, value, littleEndian); offset += 4 }
  int(84)
  bytes.set(ascii('CORD'), offset); offset += 4
  int(frameCount)
  int(options.firstStep)
  int(options.interval)
  int(frameCount === 0 ? 0 : options.firstStep + frameCount * options.interval)
  for (let i = 0; i < 5; i++) int(0)
  view.setFloat32(offset, options.timeStepPs / AKMA_TIME_UNIT_PS, littleEndian); offset += 4
  int(options.hasUnitCell ? 1 : 0)
  for (let i = 0; i < 8; i++) int(0)
  int(CHARMM_VERSION)
  int(84)
  int(4 + 2 * TITLE_BYTES)
  int(2)
  bytes.set(titleBytes(options.title ?? 'Created by mdswarm'), offset); offset += TITLE_BYTES
  bytes.set(titleBytes(`Created ${asctime(options.createdAt ?? new Date())}`), offset); offset += TITLE_BYTES
  int(4 + 2 * TITLE_BYTES)
  int(4)
  int(options.atomCount)
  int(4)
  return bytes
}

/**
 * Encodes one frame: positions (nm, interleaved, length 3N) are written as
 * float32 Å; `box` (nm) as the unit cell record when `hasUnitCell`. Writes
 * into `out` when given (length `dcdFrameByteLength`), else allocates.
 * Throws InvalidCoordinatesError on NaN or infinite positions (as OpenMM).
 */
export function encodeDcdFrame (
  positionsNm: ArrayLike<number>,
  box: BoxVectors | null,
  hasUnitCell: boolean,
  out?: Uint8Array,
  littleEndian = true
): Uint8Array {
  if (positionsNm.length % 3 !== 0) throw new RangeError(`positions must have 3 numbers per atom, got ${positionsNm.length}`)
  const atomCount = positionsNm.length / 3
  const byteLength = dcdFrameByteLength(atomCount, hasUnitCell)
  const bytes = out ?? new Uint8Array(byteLength)
  if (bytes.length !== byteLength) throw new RangeError(`frame buffer must be ${byteLength} bytes, got ${bytes.length}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 0
  if (hasUnitCell) {
    if (box === null) throw new InvalidCoordinatesError('This DCD file records a periodic box with every frame, but the frame has no box.')
    const cell = unitCellRecordFromBox(box)
    view.setInt32(offset, 48, littleEndian); offset += 4
    for (const value of cell) { view.setFloat64(offset, value, littleEndian); offset += 8 }
    view.setInt32(offset, 48, littleEndian); offset += 4
  }
  const recordBytes = 4 * atomCount
  for (let axis = 0; axis < 3; axis++) {
    view.setInt32(offset, recordBytes, littleEndian); offset += 4
    for (let atom = 0; atom < atomCount; atom++) {
      const valueNm = positionsNm[3 * atom + axis]
      if (!Number.isFinite(valueNm)) {
        throw new InvalidCoordinatesError(`Atom ${atom + 1} has a ${Number.isNaN(valueNm) ? 'NaN' : 'infinite'} position; refusing to write it to the DCD file.`)
      }
      view.setFloat32(offset, 10 * valueNm, littleEndian); offset += 4
    }
    view.setInt32(offset, recordBytes, littleEndian); offset += 4
  }
  return bytes
}

/**
 * The unit cell record OpenMM writes for box vectors (nm):
 * [a Å, cos(gamma), b Å, cos(beta), cos(alpha), c Å], computed the way
 * OpenMM does (acos of the normalized dot products, then sin(pi/2 - angle)).
 */
export function unitCellRecordFromBox (box: BoxVectors): [number, number, number, number, number, number] {
  // Same operations in the same order as openmm.unit's dot() and norm(), so the bytes agree.
  const dot = (i: number, j: number): number => box[i] * box[j] + box[i + 1] * box[j + 1] + box[i + 2] * box[j + 2]
  const aLength = Math.sqrt(dot(0, 0))
  const bLength = Math.sqrt(dot(3, 3))
  const cLength = Math.sqrt(dot(6, 6))
  const alpha = Math.acos(dot(3, 6) / (bLength * cLength))
  const beta = Math.acos(dot(6, 0) / (cLength * aLength))
  const gamma = Math.acos(dot(0, 3) / (aLength * bLength))
  return [
    aLength * 10, Math.sin(Math.PI / 2 - gamma),
    bLength * 10, Math.sin(Math.PI / 2 - beta), Math.sin(Math.PI / 2 - alpha),
    cLength * 10
  ]
}

/** Box vectors (nm, OpenMM's reduced form) of a DCD unit cell. */
export function boxVectorsFromUnitCell (cell: DcdUnitCell): BoxVectors {
  return boxFromLengthsAndAngles(cell.aAngstrom / 10, cell.bAngstrom / 10, cell.cAngstrom / 10, cell.alphaDeg, cell.betaDeg, cell.gammaDeg)
}

/** Reads the header of a DCD (either byte order). Throws DcdFormatError. */
export function readDcdHeader (bytes: Uint8Array): DcdHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length < CONTROL_RECORD_BYTES) throw new DcdFormatError(`This DCD file is truncated: ${bytes.length} bytes, shorter than a DCD header.`)
  let littleEndian: boolean
  if (view.getInt32(0, true) === 84) littleEndian = true
  else if (view.getInt32(0, false) === 84) littleEndian = false
  else if (view.getInt32(0, true) === 0 && view.getInt32(4, true) === 84) {
    throw new DcdFormatError('This DCD file uses 64-bit record markers, which this reader does not handle; convert it with mdconvert or VMD.')
  } else {
    throw new DcdFormatError('This is not a DCD file: it does not start with the 84-byte CORD header record.')
  }
  const magic = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7])
  if (magic !== 'CORD') throw new DcdFormatError(`This is not a coordinate DCD file: its header says '${magic}' where 'CORD' belongs (velocity DCDs are not read).`)
  const reader = new RecordReader(bytes, littleEndian, 'header')
  const control = reader.record(84)
  const icntrl = (i: number): number => control.getInt32(4 + 4 * i, littleEndian)
  const charmmVersion = icntrl(19)
  const fixedAtomCount = icntrl(8)
  const hasUnitCell = charmmVersion !== 0 && icntrl(10) !== 0
  if (charmmVersion !== 0 && icntrl(11) !== 0) throw new DcdFormatError('This DCD file stores 4-dimensional coordinates, which this reader does not handle.')
  const timeStepAkma = charmmVersion !== 0 ? control.getFloat32(4 + 4 * 9, littleEndian) : control.getFloat64(4 + 4 * 9, littleEndian)

  const titleRecordLength = reader.peekLength()
  const titleRecord = reader.record()
  const titleCount = titleRecordLength >= 4 ? titleRecord.getInt32(0, littleEndian) : 0
  if (titleCount < 0 || 4 + titleCount * TITLE_BYTES !== titleRecordLength) {
    throw new DcdFormatError(`This DCD file's title record is corrupted (${titleCount} titles in ${titleRecordLength} bytes).`)
  }
  const titles: string[] = []
  for (let i = 0; i < titleCount; i++) {
    const start = titleRecord.byteOffset + 4 + i * TITLE_BYTES
    titles.push(decodeTitle(new Uint8Array(titleRecord.buffer, start, TITLE_BYTES)))
  }
  const atomCount = reader.record(4).getInt32(0, littleEndian)
  if (atomCount <= 0) throw new DcdFormatError(`This DCD file's header says it has ${atomCount} atoms.`)
  if (fixedAtomCount !== 0) {
    throw new DcdFormatError(`This DCD file has ${fixedAtomCount} fixed atoms (a CHARMM feature this reader does not handle); write it again without fixed atoms.`)
  }
  return {
    littleEndian,
    atomCount,
    frameCountInHeader: icntrl(0),
    firstStep: icntrl(1),
    interval: icntrl(2),
    lastStep: icntrl(3),
    timeStepPs: timeStepAkma * AKMA_TIME_UNIT_PS,
    hasUnitCell,
    charmmVersion,
    titles,
    headerByteLength: reader.offset,
    frameByteLength: dcdFrameByteLength(atomCount, hasUnitCell)
  }
}

export interface ReadDcdOptions {
  /**
   * Return the complete frames of a file shorter than its header says
   * (a run that died mid-write) instead of throwing DcdFormatError.
   */
  readonly allowTruncated?: boolean
}

/**
 * Reads a whole DCD (either byte order, with or without unit cell). Bytes
 * after the frames the header counts (a frame being written) are ignored;
 * a header that counts 0 frames (writers that never update it) means "as
 * many complete frames as the file holds". Throws DcdFormatError.
 */
export function readDcd (bytes: Uint8Array, options: ReadDcdOptions = {}): DcdTrajectory {
  const header = readDcdHeader(bytes)
  const completeFrames = Math.floor((bytes.length - header.headerByteLength) / header.frameByteLength)
  let frameCount = header.frameCountInHeader
  if (frameCount === 0) frameCount = completeFrames
  if (frameCount < 0) throw new DcdFormatError(`This DCD file's header says it has ${frameCount} frames.`)
  if (frameCount > completeFrames) {
    if (options.allowTruncated !== true) {
      throw new DcdFormatError(`This DCD file is truncated: its header says ${frameCount} frames of ${header.atomCount} atoms, but it holds only ${completeFrames} complete frames.`)
    }
    frameCount = completeFrames
  }
  const positionsAngstrom: Float32Array[] = []
  const unitCells: Array<DcdUnitCell | null> = []
  const reader = new RecordReader(bytes, header.littleEndian, 'frame 1')
  reader.offset = header.headerByteLength
  const atomCount = header.atomCount
  for (let frame = 0; frame < frameCount; frame++) {
    reader.context = `frame ${frame + 1}`
    unitCells.push(header.hasUnitCell ? decodeUnitCell(reader.record(48), header.littleEndian) : null)
    const positions = new Float32Array(3 * atomCount)
    for (let axis = 0; axis < 3; axis++) {
      const record = reader.record(4 * atomCount)
      for (let atom = 0; atom < atomCount; atom++) positions[3 * atom + axis] = record.getFloat32(4 * atom, header.littleEndian)
    }
    positionsAngstrom.push(positions)
  }
  return { header, frameCount, positionsAngstrom, unitCells }
}

/** Options of a DCD file opened for appending. */
export interface DcdAppendOptions {
  readonly atomCount: number
  /** Must match the file; default: whatever the file has. */
  readonly hasUnitCell?: boolean
  /** Steps between frames; must match the file when given. */
  readonly interval?: number
  /**
   * Drop frames whose step (firstStep + i * interval) is later than this,
   * e.g. the step of the checkpoint a run resumes from.
   */
  readonly keepFramesUpToStep?: number
}

/**
 * Streams frames into a DCD file (little-endian, OpenMM's layout). The header
 * is rewritten after every frame, so the file is valid between frames.
 */
export class DcdWriter {
  private readonly fd: number
  private readonly path: string
  private readonly atomCount: number
  private readonly hasUnitCell: boolean
  private readonly frameBuffer: Uint8Array
  private readonly smallBuffer = new Uint8Array(4)
  private readonly smallView = new DataView(this.smallBuffer.buffer)
  private firstStep: number
  private interval: number
  /** Time step in AKMA units, kept as OpenMM keeps it (so a rewritten header has the same bits). */
  private timeStepAkma: number
  private endOffset: number
  private frames: number
  private closed = false

  private constructor (fd: number, path: string, header: { atomCount: number, hasUnitCell: boolean, firstStep: number, interval: number, timeStepPs: number, frameCount: number, endOffset: number }) {
    this.fd = fd
    this.path = path
    this.atomCount = header.atomCount
    this.hasUnitCell = header.hasUnitCell
    this.firstStep = header.firstStep
    this.interval = header.interval
    this.timeStepAkma = header.timeStepPs / AKMA_TIME_UNIT_PS
    this.frames = header.frameCount
    this.endOffset = header.endOffset
    this.frameBuffer = new Uint8Array(dcdFrameByteLength(this.atomCount, this.hasUnitCell))
  }

  /** Creates (or overwrites) `path` and writes the header of an empty trajectory. */
  static create (path: string, options: Omit<DcdHeaderOptions, 'frameCount' | 'littleEndian'>): DcdWriter {
    const header = encodeDcdHeader({ ...options, frameCount: 0 })
    const fd = fs.openSync(path, 'w')
    try {
      fs.writeSync(fd, header, 0, header.length, 0)
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
    return new DcdWriter(fd, path, { ...options, frameCount: 0, endOffset: header.length })
  }

  /**
   * Opens an existing DCD written by OpenMM or this writer to add frames.
   * Drops a partly written last frame and, with `keepFramesUpToStep`,
   * frames after that step. Throws DcdFormatError for another atom count,
   * another unit cell flag, a big-endian file or a damaged one.
   */
  static append (path: string, options: DcdAppendOptions): DcdWriter {
    const fd = fs.openSync(path, 'r+')
    try {
      const size = fs.fstatSync(fd).size
      const headBytes = new Uint8Array(Math.min(size, 64 * 1024))
      fs.readSync(fd, headBytes, 0, headBytes.length, 0)
      const header = readDcdHeader(headBytes)
      if (!header.littleEndian) throw new DcdFormatError(`Cannot append to ${path}: it is big-endian; only little-endian DCD files (as OpenMM writes) can be extended.`)
      if (header.atomCount !== options.atomCount) {
        throw new DcdFormatError(`Cannot append to ${path}: it holds ${header.atomCount} atoms per frame, but the simulation has ${options.atomCount}.`)
      }
      if (options.hasUnitCell !== undefined && options.hasUnitCell !== header.hasUnitCell) {
        throw new DcdFormatError(`Cannot append to ${path}: it was written ${header.hasUnitCell ? 'with' : 'without'} a periodic box, but this simulation is ${options.hasUnitCell ? '' : 'not '}periodic.`)
      }
      if (options.interval !== undefined && header.frameCountInHeader > 0 && options.interval !== header.interval) {
        throw new DcdFormatError(`Cannot append to ${path}: it has a frame every ${header.interval} steps, but this run reports every ${options.interval}; write to a new file.`)
      }
      if (header.charmmVersion === 0) throw new DcdFormatError(`Cannot append to ${path}: it is an X-PLOR DCD; only CHARMM-style DCD files (as OpenMM writes) can be extended.`)
      const completeFrames = Math.floor((size - header.headerByteLength) / header.frameByteLength)
      let frameCount = header.frameCountInHeader === 0 ? completeFrames : Math.min(header.frameCountInHeader, completeFrames)
      if (options.keepFramesUpToStep !== undefined) {
        const framesUpToStep = options.keepFramesUpToStep < header.firstStep
          ? 0
          : Math.floor((options.keepFramesUpToStep - header.firstStep) / Math.max(1, header.interval)) + 1
        frameCount = Math.min(frameCount, framesUpToStep)
      }
      const endOffset = header.headerByteLength + frameCount * header.frameByteLength
      fs.ftruncateSync(fd, endOffset)
      const writer = new DcdWriter(fd, path, { ...header, frameCount, endOffset })
      writer.writeHeaderCounts()
      return writer
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
  }

  /** Frames in the file. */
  get frameCount (): number { return this.frames }

  /** Step of the next frame this writer expects (informative; frames are written as given). */
  get nextFrameStep (): number { return this.firstStep + this.frames * this.interval }

  /** Appends one frame (positions nm, length 3N; box nm) and updates the header. */
  writeFrame (positionsNm: ArrayLike<number>, box: BoxVectors | null): void {
    if (this.closed) throw new Error(`DCD file ${this.path} is already closed`)
    if (positionsNm.length !== 3 * this.atomCount) {
      throw new DcdFormatError(`A frame with ${positionsNm.length / 3} atoms cannot go into ${this.path}, which holds ${this.atomCount} atoms per frame.`)
    }
    encodeDcdFrame(positionsNm, box, this.hasUnitCell, this.frameBuffer)
    fs.writeSync(this.fd, this.frameBuffer, 0, this.frameBuffer.length, this.endOffset)
    this.endOffset += this.frameBuffer.length
    this.frames += 1
    if (this.interval > 1 && this.firstStep + this.frames * this.interval > 2 ** 31) {
      // As OpenMM: keep nstep within int32 by recording fewer, longer steps.
      this.firstStep = Math.floor(this.firstStep / this.interval)
      this.timeStepAkma *= this.interval
      this.interval = 1
      this.rewriteControlFields()
    }
    this.writeHeaderCounts()
  }

  /** Flushes the file to disk (fsync). The header is already current. */
  flush (): void {
    if (!this.closed) fs.fsyncSync(this.fd)
  }

  /** Flushes and closes the file. Safe to call twice. */
  close (): void {
    if (this.closed) return
    this.closed = true
    try {
      fs.fsyncSync(this.fd)
    } finally {
      fs.closeSync(this.fd)
    }
  }

  private writeInt32At (value: number, position: number): void {
    this.smallView.setInt32(0, value, true)
    fs.writeSync(this.fd, this.smallBuffer, 0, 4, position)
  }

  private writeHeaderCounts (): void {
    this.writeInt32At(this.frames, FRAME_COUNT_OFFSET)
    this.writeInt32At(this.frames === 0 ? 0 : this.firstStep + this.frames * this.interval, LAST_STEP_OFFSET)
  }

  private rewriteControlFields (): void {
    this.writeInt32At(this.firstStep, 12)
    this.writeInt32At(this.interval, 16)
    const dt = new Uint8Array(4)
    new DataView(dt.buffer).setFloat32(0, this.timeStepAkma, true)
    fs.writeSync(this.fd, dt, 0, 4, 4 + 4 + 4 * 9)
  }
}

/** Reads Fortran unformatted records, checking both length markers. */
class RecordReader {
  offset = 0
  constructor (private readonly bytes: Uint8Array, private readonly littleEndian: boolean, public context: string) {}

  private get view (): DataView {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
  }

  peekLength (): number {
    this.need(4)
    return this.view.getInt32(this.offset, this.littleEndian)
  }

  /** The payload of the next record; `expectedLength` checks its size. */
  record (expectedLength?: number): DataView {
    const length = this.peekLength()
    if (length < 0 || (expectedLength !== undefined && length !== expectedLength)) {
      throw new DcdFormatError(`This DCD file is corrupted at byte ${this.offset} (${this.context}): a record of ${expectedLength ?? 'some'} bytes was expected, its marker says ${length}.`)
    }
    this.need(8 + length)
    const end = this.view.getInt32(this.offset + 4 + length, this.littleEndian)
    if (end !== length) {
      throw new DcdFormatError(`This DCD file is corrupted at byte ${this.offset + 4 + length} (${this.context}): the record's closing marker says ${end}, its opening marker ${length}.`)
    }
    const payload = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset + 4, length)
    this.offset += 8 + length
    return payload
  }

  private need (byteCount: number): void {
    if (this.offset + byteCount > this.bytes.length) {
      throw new DcdFormatError(`This DCD file is truncated in the ${this.context}: ${byteCount} more bytes were expected at byte ${this.offset}, the file has ${this.bytes.length}.`)
    }
  }
}

/**
 * Decodes the 6 float64 of a unit cell record: [a, gamma, b, beta, alpha, c].
 * Angles are cosines when all three lie in [-1, 1] (CHARMM, NAMD, OpenMM),
 * degrees otherwise (older writers); as VMD's dcdplugin decides.
 */
function decodeUnitCell (record: DataView, littleEndian: boolean): DcdUnitCell {
  const value = (i: number): number => record.getFloat64(8 * i, littleEndian)
  let gamma = value(1)
  let beta = value(3)
  let alpha = value(4)
  if (Math.abs(alpha) <= 1 && Math.abs(beta) <= 1 && Math.abs(gamma) <= 1) {
    const toDegrees = (cosine: number): number => 90 - Math.asin(cosine) * 180 / Math.PI
    alpha = toDegrees(alpha)
    beta = toDegrees(beta)
    gamma = toDegrees(gamma)
  }
  return { aAngstrom: value(0), bAngstrom: value(2), cAngstrom: value(5), alphaDeg: alpha, betaDeg: beta, gammaDeg: gamma }
}

function checkAtomCount (atomCount: number): void {
  if (!Number.isInteger(atomCount) || atomCount <= 0 || atomCount > 0x1fffffff) throw new RangeError(`a DCD file needs a positive atom count, got ${atomCount}`)
}

function ascii (text: string): Uint8Array {
  const bytes = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    bytes[i] = code < 128 ? code : 63 // '?'
  }
  return bytes
}

/** An 80-byte title, NUL-padded like Python's struct '80s'. */
function titleBytes (text: string): Uint8Array {
  const bytes = new Uint8Array(TITLE_BYTES)
  bytes.set(ascii(text).subarray(0, TITLE_BYTES))
  return bytes
}

function decodeTitle (bytes: Uint8Array): string {
  let text = ''
  for (const byte of bytes) {
    if (byte === 0) break
    text += String.fromCharCode(byte)
  }
  return text.trimEnd()
}

/** C's asctime() layout, which OpenMM writes into the second title: 'Thu Jan  1 00:00:00 1970'. */
function asctime (date: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${days[date.getDay()]} ${months[date.getMonth()]} ${String(date.getDate()).padStart(2, ' ')} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${date.getFullYear()}`
}
