/**
 * GROMACS XTC trajectories: reader and writer of the xdr3dfcoord compressed
 * coordinate format (Frans van Hoesel's algorithm as in GROMACS and
 * libxdrfile), so that GROMACS, mdtraj and MDAnalysis read what mdswarm
 * writes and mdswarm reads what they write.
 *
 * Frame layout (XDR: big-endian, 4-byte aligned):
 *   int magic 1995 | int natoms | int step | float time (ps)
 *   9 float box (nm, rows a, b, c; zeros when not periodic)
 *   int natoms, then either 3·natoms floats (natoms ≤ 9) or:
 *   float precision (1/nm) | int minint[3] | int maxint[3] | int smallidx |
 *   int byteCount | byteCount bytes of bits, zero-padded to a multiple of 4.
 * The bit stream codes each atom as a large integer triple relative to
 * minint (mixed-radix over the three ranges), followed by a run-length flag
 * and runs of up to 8 following atoms as small deltas to their predecessor;
 * the size of "small" adapts along the way (smallidx), and the first two atoms
 * of a run are swapped, which suits water (O H H).
 *
 * @example
 * const writer = XtcWriter.create('out.xtc')
 * writer.writeFrame({ step, timePs, box, positionsNm })
 * writer.close()
 * for (const frame of readXtc(fs.readFileSync('out.xtc')).frames) ...
 */
import * as fs from 'node:fs'
import type { BoxVectors } from '../engine/system.ts'

/** An XTC file that cannot be read or a frame that cannot be written. */
export class XtcFormatError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'XtcFormatError'
  }
}

export const XTC_MAGIC = 1995
/** GROMACS's default precision: 1000 per nm, i.e. 0.001 nm. */
export const DEFAULT_XTC_PRECISION = 1000
const MAX_ATOMS = 100_000_000
const INT_MAX = 2147483647

const MAGIC_INTS = [
  0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64,
  80, 101, 128, 161, 203, 256, 322, 406, 512, 645, 812, 1024, 1290,
  1625, 2048, 2580, 3250, 4096, 5060, 6501, 8192, 10321, 13003,
  16384, 20642, 26007, 32768, 41285, 52015, 65536, 82570, 104031,
  131072, 165140, 208063, 262144, 330280, 416127, 524287, 660561,
  832255, 1048576, 1321122, 1664510, 2097152, 2642245, 3329021,
  4194304, 5284491, 6658042, 8388607, 10568983, 13316085, 16777216
]
const FIRST_IDX = 9
const LAST_IDX = MAGIC_INTS.length
/** magicints[i] with out-of-range indices clamped (the reference reads past the table there). */
function magic (i: number): number {
  return MAGIC_INTS[i < 0 ? 0 : i >= LAST_IDX ? LAST_IDX - 1 : i]
}

/** One XTC frame. */
export interface XtcFrame {
  readonly step: number
  /** ps */
  readonly timePs: number
  /** nm, 9 values (rows a, b, c), or null when the file's box is all zeros. */
  readonly box: BoxVectors | null
  /** nm, 3 per atom. */
  readonly positionsNm: Float32Array
  /** Per nm (1000 = 0.001 nm); 0 for frames of ≤ 9 atoms, which are stored uncompressed. */
  readonly precision: number
}

export interface XtcTrajectory {
  readonly atomCount: number
  readonly frames: XtcFrame[]
}

// ---------------------------------------------------------------- bits

/** MSB-first bit writer into a growable byte buffer. */
class BitWriter {
  bytes: Uint8Array
  length = 0
  private acc = 0
  private accBits = 0
  constructor (capacity: number) { this.bytes = new Uint8Array(Math.max(64, capacity)) }

  private push (byte: number): void {
    if (this.length === this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2)
      grown.set(this.bytes)
      this.bytes = grown
    }
    this.bytes[this.length++] = byte
  }

  write (value: number, bitCount: number): void {
    if (bitCount > 24) {
      this.write(Math.floor(value / 2 ** 24), bitCount - 24)
      this.write(value % 2 ** 24, 24)
      return
    }
    if (bitCount <= 0) return
    this.acc = ((this.acc << bitCount) | (value & ((1 << bitCount) - 1))) >>> 0
    this.accBits += bitCount
    while (this.accBits >= 8) {
      this.accBits -= 8
      this.push((this.acc >>> this.accBits) & 0xff)
    }
    this.acc &= (1 << this.accBits) - 1
  }

  /** Flushes a partial last byte (zero-padded) and returns the bytes. */
  finish (): Uint8Array {
    if (this.accBits > 0) { this.push((this.acc << (8 - this.accBits)) & 0xff); this.accBits = 0; this.acc = 0 }
    return this.bytes.subarray(0, this.length)
  }
}

/** MSB-first bit reader; reading past the end throws XtcFormatError. */
class BitReader {
  private offset: number
  private acc = 0
  private accBits = 0
  constructor (private readonly bytes: Uint8Array, offset: number, private readonly end: number) { this.offset = offset }

  read (bitCount: number): number {
    if (bitCount > 24) {
      const high = this.read(bitCount - 24)
      return high * 2 ** 24 + this.read(24)
    }
    while (this.accBits < bitCount) {
      if (this.offset >= this.end) throw new XtcFormatError('This XTC frame\'s compressed coordinates end early (the file is corrupted).')
      this.acc = ((this.acc << 8) | this.bytes[this.offset++]) >>> 0
      this.accBits += 8
    }
    this.accBits -= bitCount
    const value = (this.acc >>> this.accBits) & ((1 << bitCount) - 1)
    this.acc &= (1 << this.accBits) - 1
    return value
  }
}

/** Bits needed for values 0 … size − 1 … as the reference's sizeofint: smallest n with 2^n > size. */
function bitsForSize (size: number): number {
  let bits = 0
  let num = 1
  while (size >= num && bits < 32) { bits++; num *= 2 }
  return bits
}

/** Little-endian bytes of the mixed-radix number ((n0·s1 + n1)·s2 + n2), into `bytes`; returns the byte count. */
function mixedRadixBytes (sizes: ArrayLike<number>, nums: ArrayLike<number>, bytes: number[]): number {
  let count = 0
  let tmp = nums[0]
  do { bytes[count++] = tmp & 0xff; tmp = Math.floor(tmp / 256) } while (tmp !== 0)
  for (let i = 1; i < 3; i++) {
    tmp = nums[i]
    let b = 0
    for (; b < count; b++) {
      tmp = bytes[b] * sizes[i] + tmp
      bytes[b] = tmp & 0xff
      tmp = Math.floor(tmp / 256)
    }
    while (tmp !== 0) { bytes[b++] = tmp & 0xff; tmp = Math.floor(tmp / 256) }
    count = b
  }
  return count
}

/** Total bits of three values with these ranges (the reference's sizeofints). */
function bitsForSizes (sizes: ArrayLike<number>): number {
  const bytes: number[] = [1]
  let count = 1
  for (let i = 0; i < 3; i++) {
    let tmp = 0
    let b = 0
    for (; b < count; b++) {
      tmp = bytes[b] * sizes[i] + tmp
      bytes[b] = tmp & 0xff
      tmp = Math.floor(tmp / 256)
    }
    while (tmp !== 0) { bytes[b++] = tmp & 0xff; tmp = Math.floor(tmp / 256) }
    count = b
  }
  let bits = 0
  let num = 1
  const top = count - 1
  while (bytes[top] >= num) { bits++; num *= 2 }
  return bits + top * 8
}

const scratchBytes: number[] = new Array(32).fill(0)

function writeInts (writer: BitWriter, bitCount: number, sizes: ArrayLike<number>, nums: ArrayLike<number>): void {
  const count = mixedRadixBytes(sizes, nums, scratchBytes)
  if (bitCount >= count * 8) {
    for (let i = 0; i < count; i++) writer.write(scratchBytes[i], 8)
    writer.write(0, bitCount - count * 8)
  } else {
    for (let i = 0; i < count - 1; i++) writer.write(scratchBytes[i], 8)
    writer.write(scratchBytes[count - 1], bitCount - (count - 1) * 8)
  }
}

function readInts (reader: BitReader, bitCount: number, sizes: ArrayLike<number>, out: Int32Array, at: number): void {
  const bytes = scratchBytes
  let count = 0
  while (bitCount > 8) { bytes[count++] = reader.read(8); bitCount -= 8 }
  if (bitCount > 0) bytes[count++] = reader.read(bitCount)
  for (let i = count; i < 4; i++) bytes[i] = 0
  for (let i = 2; i > 0; i--) {
    let num = 0
    for (let j = count - 1; j >= 0; j--) {
      num = num * 256 + bytes[j]
      const p = Math.floor(num / sizes[i])
      bytes[j] = p
      num -= p * sizes[i]
    }
    out[at + i] = num
  }
  out[at] = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24))
}

// ---------------------------------------------------------------- XDR

class XdrWriter {
  bytes: Uint8Array
  view: DataView
  length = 0
  constructor (capacity: number) { this.bytes = new Uint8Array(capacity); this.view = new DataView(this.bytes.buffer) }
  private ensure (n: number): void {
    if (this.length + n <= this.bytes.length) return
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n))
    grown.set(this.bytes)
    this.bytes = grown
    this.view = new DataView(grown.buffer)
  }

  int (v: number): void { this.ensure(4); this.view.setInt32(this.length, v, false); this.length += 4 }
  float (v: number): void { this.ensure(4); this.view.setFloat32(this.length, v, false); this.length += 4 }
  opaque (data: Uint8Array): void {
    const padded = (data.length + 3) & ~3
    this.ensure(padded)
    this.bytes.set(data, this.length)
    this.bytes.fill(0, this.length + data.length, this.length + padded)
    this.length += padded
  }
}

// ---------------------------------------------------------------- writing

export interface XtcFrameInput {
  readonly step: number
  /** ps */
  readonly timePs: number
  /** nm, or null (written as zeros). */
  readonly box: ArrayLike<number> | null
  /** nm, 3 per atom. */
  readonly positionsNm: ArrayLike<number>
}

/**
 * Encodes one frame. `precision` is per nm (1000 = 0.001 nm, GROMACS's
 * default). Throws XtcFormatError for non-finite values or coordinates too
 * large for the precision.
 */
export function encodeXtcFrame (frame: XtcFrameInput, precision = DEFAULT_XTC_PRECISION): Uint8Array {
  const positions = frame.positionsNm
  const natoms = positions.length / 3
  if (!Number.isInteger(natoms) || natoms < 1) throw new XtcFormatError(`A frame needs 3 coordinates per atom; got ${positions.length} values.`)
  if (!Number.isSafeInteger(frame.step) || frame.step < -INT_MAX || frame.step > INT_MAX) throw new XtcFormatError(`Step ${frame.step} does not fit XTC's 32-bit step field.`)
  if (!(precision > 0) || !Number.isFinite(precision)) throw new XtcFormatError(`An XTC precision of ${precision} per nm is not a positive number.`)
  const out = new XdrWriter(64 + 12 * natoms)
  out.int(XTC_MAGIC)
  out.int(natoms)
  out.int(frame.step)
  out.float(frame.timePs)
  for (let i = 0; i < 9; i++) out.float(frame.box !== null ? frame.box[i] : 0)
  out.int(natoms)
  for (let i = 0; i < positions.length; i++) {
    if (!Number.isFinite(positions[i])) throw new XtcFormatError(`Atom ${Math.floor(i / 3) + 1} has a non-finite coordinate; it cannot be written to XTC.`)
  }
  if (natoms <= 9) {
    for (let i = 0; i < positions.length; i++) out.float(positions[i])
    return out.bytes.slice(0, out.length)
  }
  const prec = Math.fround(precision)
  out.float(prec)
  const ints = new Int32Array(3 * natoms)
  const minint = [INT_MAX, INT_MAX, INT_MAX]
  const maxint = [-INT_MAX - 1, -INT_MAX - 1, -INT_MAX - 1]
  let mindiff = INT_MAX
  let old0 = 0; let old1 = 0; let old2 = 0
  for (let a = 0; a < natoms; a++) {
    for (let k = 0; k < 3; k++) {
      const x = Math.fround(positions[3 * a + k])
      const scaled = Math.fround(Math.fround(x * prec) + (x >= 0 ? 0.5 : -0.5))
      if (Math.abs(scaled) > INT_MAX - 2) throw new XtcFormatError(`A coordinate of ${x} nm is too large for XTC at a precision of ${precision} per nm; write with a lower precision.`)
      const value = Math.trunc(scaled)
      ints[3 * a + k] = value
      if (value < minint[k]) minint[k] = value
      if (value > maxint[k]) maxint[k] = value
    }
    const diff = Math.abs(old0 - ints[3 * a]) + Math.abs(old1 - ints[3 * a + 1]) + Math.abs(old2 - ints[3 * a + 2])
    if (diff < mindiff && a > 0) mindiff = diff
    old0 = ints[3 * a]; old1 = ints[3 * a + 1]; old2 = ints[3 * a + 2]
  }
  for (let k = 0; k < 3; k++) out.int(minint[k])
  for (let k = 0; k < 3; k++) out.int(maxint[k])
  for (let k = 0; k < 3; k++) {
    if (maxint[k] - minint[k] >= INT_MAX - 2) throw new XtcFormatError(`The coordinates span more than XTC can store at a precision of ${precision} per nm; write with a lower precision.`)
  }
  const sizeint = [maxint[0] - minint[0] + 1, maxint[1] - minint[1] + 1, maxint[2] - minint[2] + 1]
  const bitsizeint = [0, 0, 0]
  let bitsize: number
  if (sizeint[0] > 0xffffff || sizeint[1] > 0xffffff || sizeint[2] > 0xffffff) {
    for (let k = 0; k < 3; k++) bitsizeint[k] = bitsForSize(sizeint[k])
    bitsize = 0
  } else {
    bitsize = bitsForSizes(sizeint)
  }
  let smallidx = FIRST_IDX
  while (smallidx < LAST_IDX - 1 && MAGIC_INTS[smallidx] < mindiff) smallidx++
  out.int(smallidx)
  const maxidx = Math.min(LAST_IDX - 1, smallidx + 8)
  const minidx = maxidx - 8
  let smaller = Math.floor(magic(Math.max(FIRST_IDX, smallidx - 1)) / 2)
  let smallnum = Math.floor(magic(smallidx) / 2)
  let sizesmallValue = magic(smallidx)
  const sizesmall = [sizesmallValue, sizesmallValue, sizesmallValue]
  const larger = Math.floor(magic(maxidx) / 2)

  const bits = new BitWriter(4 * natoms)
  const prev = [0, 0, 0]
  const tmpcoord = new Array<number>(30).fill(0)
  const big = [0, 0, 0]
  let prevrun = -1
  let i = 0
  while (i < natoms) {
    let isSmall = 0
    let tc = 3 * i
    let isSmaller: number
    if (smallidx < maxidx && i >= 1 &&
      Math.abs(ints[tc] - prev[0]) < larger && Math.abs(ints[tc + 1] - prev[1]) < larger && Math.abs(ints[tc + 2] - prev[2]) < larger) {
      isSmaller = 1
    } else if (smallidx > minidx) isSmaller = -1
    else isSmaller = 0
    if (i + 1 < natoms) {
      if (Math.abs(ints[tc] - ints[tc + 3]) < smallnum && Math.abs(ints[tc + 1] - ints[tc + 4]) < smallnum && Math.abs(ints[tc + 2] - ints[tc + 5]) < smallnum) {
        // Swap this atom with the next (water: code H first, then O as a small step).
        for (let k = 0; k < 3; k++) { const t = ints[tc + k]; ints[tc + k] = ints[tc + 3 + k]; ints[tc + 3 + k] = t }
        isSmall = 1
      }
    }
    big[0] = ints[tc] - minint[0]; big[1] = ints[tc + 1] - minint[1]; big[2] = ints[tc + 2] - minint[2]
    if (bitsize === 0) {
      for (let k = 0; k < 3; k++) bits.write(big[k], bitsizeint[k])
    } else writeInts(bits, bitsize, sizeint, big)
    prev[0] = ints[tc]; prev[1] = ints[tc + 1]; prev[2] = ints[tc + 2]
    tc += 3
    i++
    let run = 0
    if (isSmall === 0 && isSmaller === -1) isSmaller = 0
    while (isSmall !== 0 && run < 8 * 3) {
      let sum = 0
      for (let k = 0; k < 3; k++) { const d = ints[tc + k] - prev[k]; sum += d * d }
      if (isSmaller === -1 && sum >= smaller * smaller) isSmaller = 0
      for (let k = 0; k < 3; k++) tmpcoord[run++] = ints[tc + k] - prev[k] + smallnum
      prev[0] = ints[tc]; prev[1] = ints[tc + 1]; prev[2] = ints[tc + 2]
      i++
      tc += 3
      isSmall = 0
      if (i < natoms && Math.abs(ints[tc] - prev[0]) < smallnum && Math.abs(ints[tc + 1] - prev[1]) < smallnum && Math.abs(ints[tc + 2] - prev[2]) < smallnum) isSmall = 1
    }
    if (run !== prevrun || isSmaller !== 0) {
      prevrun = run
      bits.write(1, 1)
      bits.write(run + isSmaller + 1, 5)
    } else bits.write(0, 1)
    for (let k = 0; k < run; k += 3) writeInts(bits, smallidx, sizesmall, tmpcoord.slice(k, k + 3))
    if (isSmaller !== 0) {
      smallidx += isSmaller
      if (isSmaller < 0) { smallnum = smaller; smaller = Math.floor(magic(smallidx - 1) / 2) } else { smaller = smallnum; smallnum = Math.floor(magic(smallidx) / 2) }
      sizesmallValue = magic(smallidx)
      sizesmall[0] = sizesmall[1] = sizesmall[2] = sizesmallValue
    }
  }
  const data = bits.finish()
  out.int(data.length)
  out.opaque(data)
  return out.bytes.slice(0, out.length)
}

/** Streams frames into an XTC file. */
export class XtcWriter {
  private closed = false
  private constructor (private readonly fd: number, private readonly precision: number, private atomCount: number) {}

  /** Creates (or overwrites) `path`. `precision` per nm (default 1000). */
  static create (path: string, precision = DEFAULT_XTC_PRECISION): XtcWriter {
    return new XtcWriter(fs.openSync(path, 'w'), precision, 0)
  }

  writeFrame (frame: XtcFrameInput): void {
    if (this.closed) throw new XtcFormatError('This XTC writer is closed.')
    const atoms = frame.positionsNm.length / 3
    if (this.atomCount === 0) this.atomCount = atoms
    else if (atoms !== this.atomCount) throw new XtcFormatError(`A frame has ${atoms} atoms, but this XTC file holds ${this.atomCount}.`)
    const bytes = encodeXtcFrame(frame, this.precision)
    fs.writeSync(this.fd, bytes)
  }

  close (): void {
    if (this.closed) return
    this.closed = true
    fs.closeSync(this.fd)
  }
}

// ---------------------------------------------------------------- reading

class XdrReader {
  private readonly view: DataView
  offset: number
  constructor (readonly bytes: Uint8Array, offset: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
  }

  need (n: number, what: string): void {
    if (this.offset + n > this.bytes.length) throw new XtcTruncatedFrame(what)
  }

  int (what: string): number { this.need(4, what); const v = this.view.getInt32(this.offset, false); this.offset += 4; return v }
  float (what: string): number { this.need(4, what); const v = this.view.getFloat32(this.offset, false); this.offset += 4; return v }
}

/** Internal: a frame cut short (turned into XtcFormatError unless truncation is allowed). */
class XtcTruncatedFrame extends Error {
  constructor (readonly what: string) { super(what) }
}

/** Decodes the frame starting at `offset`; returns it and the offset after it. */
export function decodeXtcFrame (bytes: Uint8Array, offset: number, expectedAtoms = 0): { frame: XtcFrame, next: number } {
  const r = new XdrReader(bytes, offset)
  const magicNumber = r.int('header')
  if (magicNumber !== XTC_MAGIC) {
    if (magicNumber === 2023) throw new XtcFormatError('This XTC file uses the large-system format of GROMACS 2023 (magic 2023), which this reader does not handle yet.')
    throw new XtcFormatError(`This is not an XTC frame (magic number ${magicNumber}, expected ${XTC_MAGIC}) at byte ${offset}.`)
  }
  const natoms = r.int('header')
  if (natoms < 1 || natoms > MAX_ATOMS) throw new XtcFormatError(`This XTC frame claims ${natoms} atoms.`)
  if (expectedAtoms !== 0 && natoms !== expectedAtoms) throw new XtcFormatError(`An XTC frame has ${natoms} atoms where earlier frames have ${expectedAtoms}.`)
  const step = r.int('header')
  const timePs = r.float('header')
  const boxValues = new Float64Array(9)
  let boxIsZero = true
  for (let i = 0; i < 9; i++) { boxValues[i] = r.float('box'); if (boxValues[i] !== 0) boxIsZero = false }
  const lsize = r.int('coordinates')
  if (lsize !== natoms) throw new XtcFormatError(`This XTC frame's coordinate block holds ${lsize} atoms but its header says ${natoms}.`)
  const positions = new Float32Array(3 * natoms)
  const box = boxIsZero ? null : boxValues
  if (natoms <= 9) {
    for (let i = 0; i < 3 * natoms; i++) positions[i] = r.float('coordinates')
    return { frame: { step, timePs, box, positionsNm: positions, precision: 0 }, next: r.offset }
  }
  const precision = r.float('coordinates')
  if (!(precision > 0) || !Number.isFinite(precision)) throw new XtcFormatError(`This XTC frame has an impossible precision ${precision}.`)
  const minint = [r.int('coordinates'), r.int('coordinates'), r.int('coordinates')]
  const maxint = [r.int('coordinates'), r.int('coordinates'), r.int('coordinates')]
  const sizeint = [maxint[0] - minint[0] + 1, maxint[1] - minint[1] + 1, maxint[2] - minint[2] + 1]
  if (!(sizeint[0] > 0 && sizeint[1] > 0 && sizeint[2] > 0) || sizeint.some(s => s > 2 ** 32)) throw new XtcFormatError('This XTC frame has an impossible coordinate range (the file is corrupted).')
  const bitsizeint = [0, 0, 0]
  let bitsize: number
  if (sizeint[0] > 0xffffff || sizeint[1] > 0xffffff || sizeint[2] > 0xffffff) {
    for (let k = 0; k < 3; k++) bitsizeint[k] = bitsForSize(sizeint[k])
    bitsize = 0
  } else bitsize = bitsForSizes(sizeint)
  let smallidx = r.int('coordinates')
  if (smallidx < FIRST_IDX || smallidx >= LAST_IDX) throw new XtcFormatError(`This XTC frame has an impossible small-integer index ${smallidx} (the file is corrupted).`)
  let smaller = Math.floor(magic(Math.max(FIRST_IDX, smallidx - 1)) / 2)
  let smallnum = Math.floor(magic(smallidx) / 2)
  const sizesmall = [magic(smallidx), magic(smallidx), magic(smallidx)]
  const byteCount = r.int('coordinates')
  if (byteCount < 0) throw new XtcFormatError('This XTC frame has a negative data length (the file is corrupted).')
  const padded = (byteCount + 3) & ~3
  r.need(padded, 'compressed coordinates')
  const dataStart = r.offset
  r.offset += padded
  const bits = new BitReader(bytes, dataStart, dataStart + byteCount)
  const invPrecision = Math.fround(1 / precision)
  const ints = new Int32Array(3)
  const prev = [0, 0, 0]
  let run = 0
  let i = 0
  let out = 0
  const put = (x: number, y: number, z: number): void => {
    if (out + 3 > positions.length) throw new XtcFormatError('This XTC frame decodes to more atoms than it declares (the file is corrupted).')
    positions[out++] = Math.fround(Math.fround(x) * invPrecision)
    positions[out++] = Math.fround(Math.fround(y) * invPrecision)
    positions[out++] = Math.fround(Math.fround(z) * invPrecision)
  }
  while (i < natoms) {
    if (bitsize === 0) {
      ints[0] = bits.read(bitsizeint[0]); ints[1] = bits.read(bitsizeint[1]); ints[2] = bits.read(bitsizeint[2])
    } else readInts(bits, bitsize, sizeint, ints, 0)
    i++
    prev[0] = ints[0] + minint[0]; prev[1] = ints[1] + minint[1]; prev[2] = ints[2] + minint[2]
    const flag = bits.read(1)
    let isSmaller = 0
    if (flag === 1) {
      run = bits.read(5)
      isSmaller = run % 3
      run -= isSmaller
      isSmaller--
    }
    if (run > 0) {
      for (let k = 0; k < run; k += 3) {
        readInts(bits, smallidx, sizesmall, ints, 0)
        i++
        const x = ints[0] + prev[0] - smallnum
        const y = ints[1] + prev[1] - smallnum
        const z = ints[2] + prev[2] - smallnum
        if (k === 0) {
          // Undo the writer's swap: the small step comes first in the file.
          put(x, y, z)
          put(prev[0], prev[1], prev[2])
          prev[0] = x; prev[1] = y; prev[2] = z
        } else {
          prev[0] = x; prev[1] = y; prev[2] = z
          put(x, y, z)
        }
      }
    } else put(prev[0], prev[1], prev[2])
    smallidx += isSmaller
    if (smallidx < FIRST_IDX || smallidx >= LAST_IDX) throw new XtcFormatError('This XTC frame\'s compressed coordinates are corrupted (small-integer index out of range).')
    if (isSmaller < 0) {
      smallnum = smaller
      smaller = smallidx > FIRST_IDX ? Math.floor(magic(smallidx - 1) / 2) : 0
    } else if (isSmaller > 0) {
      smaller = smallnum
      smallnum = Math.floor(magic(smallidx) / 2)
    }
    sizesmall[0] = sizesmall[1] = sizesmall[2] = magic(smallidx)
  }
  if (out !== positions.length) throw new XtcFormatError('This XTC frame decodes to fewer atoms than it declares (the file is corrupted).')
  return { frame: { step, timePs, box, positionsNm: positions, precision }, next: r.offset }
}

export interface ReadXtcOptions {
  /** Return the complete frames of a file whose last frame is cut short instead of throwing. */
  readonly allowTruncated?: boolean
}

/** Reads every frame of an XTC file. Throws XtcFormatError. */
export function readXtc (bytes: Uint8Array, options: ReadXtcOptions = {}): XtcTrajectory {
  const frames: XtcFrame[] = []
  let offset = 0
  let atomCount = 0
  while (offset < bytes.length) {
    try {
      const { frame, next } = decodeXtcFrame(bytes, offset, atomCount)
      frames.push(frame)
      atomCount = frame.positionsNm.length / 3
      offset = next
    } catch (err) {
      if (err instanceof XtcTruncatedFrame) {
        if (options.allowTruncated === true) break
        throw new XtcFormatError(`This XTC file is truncated: frame ${frames.length + 1} ends inside its ${err.what} (byte ${offset} of ${bytes.length}).`)
      }
      throw err
    }
  }
  if (frames.length === 0) throw new XtcFormatError('This XTC file holds no frames.')
  return { atomCount, frames }
}
