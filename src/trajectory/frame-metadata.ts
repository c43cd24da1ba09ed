/**
 * Per-frame scalars of a chunk: steps, times (ps), energies (kJ/mol),
 * temperature (K) and boxes (nm). Regular steps and times (a constant
 * stride, exact in float64) take 16 bytes; a box that does not change over
 * the chunk is stored once.
 */
import type { ByteReader, ByteWriter } from './byte-io.ts'
import { ChunkCorruptedError } from './errors.ts'

export interface FrameScalars {
  /** Absolute step of each frame. */
  readonly steps: Float64Array
  /** Time of each frame, ps. */
  readonly timesPs: Float64Array
  /** kJ/mol */
  readonly potentialEnergies: Float64Array
  /** kJ/mol */
  readonly kineticEnergies: Float64Array
  readonly temperaturesK: Float64Array
  /** 9 values (nm, row-major a, b, c) per frame, or null when the frames have no box. */
  readonly boxes: Float64Array | null
}

const SERIES_REGULAR = 0
const SERIES_LIST = 1
const BOX_CONSTANT = 0
const BOX_PER_FRAME = 1

function isRegular (values: Float64Array): boolean {
  if (values.length < 2) return true
  const stride = values[1] - values[0]
  for (let i = 0; i < values.length; i++) if (values[0] + i * stride !== values[i]) return false
  return true
}

function writeSeries (writer: ByteWriter, values: Float64Array): void {
  if (isRegular(values)) {
    writer.u8(SERIES_REGULAR)
    writer.f64(values[0])
    writer.f64(values.length > 1 ? values[1] - values[0] : 0)
  } else {
    writer.u8(SERIES_LIST)
    for (let i = 0; i < values.length; i++) writer.f64(values[i])
  }
}

function readSeries (reader: ByteReader, out: Float64Array, what: string): void {
  const mode = reader.u8()
  if (mode === SERIES_REGULAR) {
    const first = reader.f64()
    const stride = reader.f64()
    for (let i = 0; i < out.length; i++) out[i] = first + i * stride
  } else if (mode === SERIES_LIST) {
    for (let i = 0; i < out.length; i++) out[i] = reader.f64()
  } else throw new ChunkCorruptedError(`The trajectory chunk's ${what} are stored in an unknown way (${mode}).`)
  for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) throw new ChunkCorruptedError(`The trajectory chunk holds a non-finite ${what.replace(/s$/, '')}.`)
}

/** Upper bound of writeFrameScalars' output, bytes. */
export function frameScalarsMaxBytes (frameCount: number, hasBox: boolean): number {
  return 2 * (1 + 8 * Math.max(2, frameCount)) + 3 * 8 * frameCount + (hasBox ? 1 + 72 * frameCount : 0)
}

export function writeFrameScalars (writer: ByteWriter, scalars: FrameScalars): void {
  writeSeries(writer, scalars.steps)
  writeSeries(writer, scalars.timesPs)
  const n = scalars.steps.length
  for (let i = 0; i < n; i++) writer.f64(scalars.potentialEnergies[i])
  for (let i = 0; i < n; i++) writer.f64(scalars.kineticEnergies[i])
  for (let i = 0; i < n; i++) writer.f64(scalars.temperaturesK[i])
  const boxes = scalars.boxes
  if (boxes !== null) {
    let constant = true
    for (let i = 9; i < boxes.length && constant; i++) if (boxes[i] !== boxes[i % 9]) constant = false
    writer.u8(constant ? BOX_CONSTANT : BOX_PER_FRAME)
    const count = constant ? 9 : boxes.length
    for (let i = 0; i < count; i++) writer.f64(boxes[i])
  }
}

export function readFrameScalars (reader: ByteReader, frameCount: number, hasBox: boolean): FrameScalars {
  const steps = new Float64Array(frameCount)
  const timesPs = new Float64Array(frameCount)
  readSeries(reader, steps, 'steps')
  for (let i = 0; i < frameCount; i++) if (!Number.isSafeInteger(steps[i]) || steps[i] < 0) throw new ChunkCorruptedError(`The trajectory chunk holds an impossible step ${steps[i]}.`)
  readSeries(reader, timesPs, 'times')
  const energies = new Float64Array(3 * frameCount)
  for (let i = 0; i < energies.length; i++) energies[i] = reader.f64()
  let boxes: Float64Array | null = null
  if (hasBox) {
    boxes = new Float64Array(9 * frameCount)
    const mode = reader.u8()
    if (mode === BOX_CONSTANT) {
      for (let i = 0; i < 9; i++) boxes[i] = reader.f64()
      for (let i = 9; i < boxes.length; i++) boxes[i] = boxes[i % 9]
    } else if (mode === BOX_PER_FRAME) {
      for (let i = 0; i < boxes.length; i++) boxes[i] = reader.f64()
    } else throw new ChunkCorruptedError(`The trajectory chunk's boxes are stored in an unknown way (${mode}).`)
    for (let i = 0; i < boxes.length; i++) if (!Number.isFinite(boxes[i])) throw new ChunkCorruptedError('The trajectory chunk holds a non-finite box vector.')
  }
  return {
    steps,
    timesPs,
    potentialEnergies: energies.subarray(0, frameCount),
    kineticEnergies: energies.subarray(frameCount, 2 * frameCount),
    temperaturesK: energies.subarray(2 * frameCount),
    boxes
  }
}
