/**
 * Trajectory files by extension — .dcd, .xtc, .pdb (multi-model) and .mdsw —
 * for `mdswarm convert` and `mdswarm fetch`: one reader that loads any of
 * them into frames, and one streaming writer that writes any of them.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { Frame } from '../engine/frame.ts'
import { genericTopology, type Topology } from '../engine/topology.ts'
import { readPdb } from '../engine/pdb/read-pdb.ts'
import { boxVectorsFromUnitCell, DcdWriter, readDcd } from './dcd.ts'
import { MdswWriter, readMdswFrames, topologyToJson, type MdswMetadata } from './mdsw.ts'
import { readPdbTrajectory, writePdbTrajectory } from './pdb-trajectory.ts'
import { readXtc, XtcWriter } from './xtc.ts'
import { DEFAULT_PRECISION_NM } from '../trajectory/constants.ts'

export type TrajectoryFormat = 'dcd' | 'xtc' | 'pdb' | 'mdsw'
export const TRAJECTORY_FORMATS: readonly TrajectoryFormat[] = ['dcd', 'xtc', 'pdb', 'mdsw']

/** A file name whose extension is not one of the trajectory formats. */
export class UnknownTrajectoryFormatError extends Error {
  constructor (file: string) {
    super(`Cannot tell the trajectory format of '${file}': use a .dcd, .xtc, .pdb or .mdsw file name.`)
    this.name = 'UnknownTrajectoryFormatError'
  }
}

/** A topology whose atom count differs from the trajectory's. */
export class TopologyMismatchError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'TopologyMismatchError'
  }
}

export function formatOfPath (file: string): TrajectoryFormat {
  const ext = path.extname(file).toLowerCase().slice(1)
  if ((TRAJECTORY_FORMATS as readonly string[]).includes(ext)) return ext as TrajectoryFormat
  throw new UnknownTrajectoryFormatError(file)
}

export interface LoadedTrajectory {
  readonly atomCount: number
  /** Positions nm; energies are NaN where the format has none. */
  readonly frames: Frame[]
  /** From the file itself (PDB, .mdsw with topology), else null. */
  readonly topology: Topology | null
  /** Integration step, ps, when the file records it (DCD, .mdsw). */
  readonly stepSizePs: number | null
  /** Coordinate precision of the source, nm (XTC, .mdsw), null when float32 or unknown. */
  readonly precisionNm: number | null
}

function frame (step: number, timePs: number, positionsNm: Float32Array, box: Float64Array | null): Frame {
  return { step, timePs, positionsNm, box, potentialEnergy: NaN, kineticEnergy: NaN, temperatureK: NaN }
}

/** Reads a whole trajectory file of any supported format. */
export function readTrajectoryFile (file: string): LoadedTrajectory {
  const format = formatOfPath(file)
  const bytes = fs.readFileSync(file)
  switch (format) {
    case 'dcd': {
      const dcd = readDcd(bytes, { allowTruncated: true })
      const frames = dcd.positionsAngstrom.map((positions, i) => {
        const nm = new Float32Array(positions.length)
        for (let k = 0; k < nm.length; k++) nm[k] = positions[k] / 10
        const cell = dcd.unitCells[i]
        const step = dcd.header.firstStep + i * Math.max(1, dcd.header.interval)
        return frame(step, step * dcd.header.timeStepPs, nm, cell !== null ? boxVectorsFromUnitCell(cell) : null)
      })
      return { atomCount: dcd.header.atomCount, frames, topology: null, stepSizePs: dcd.header.timeStepPs, precisionNm: null }
    }
    case 'xtc': {
      const xtc = readXtc(bytes)
      const precision = xtc.frames[0].precision
      return { atomCount: xtc.atomCount, frames: xtc.frames.map(f => frame(f.step, f.timePs, f.positionsNm, f.box)), topology: null, stepSizePs: null, precisionNm: precision > 0 ? 1 / precision : null }
    }
    case 'pdb': {
      const pdb = readPdbTrajectory(bytes.toString('utf8'))
      return { atomCount: pdb.topology.atomCount, frames: pdb.frames.map((f, i) => frame(i, 0, f.positionsNm, f.box)), topology: pdb.topology, stepSizePs: null, precisionNm: null }
    }
    case 'mdsw': {
      const mdsw = readMdswFrames(bytes)
      return { atomCount: mdsw.metadata.atomCount, frames: mdsw.frames, topology: mdsw.topology, stepSizePs: typeof mdsw.metadata.stepSizePs === 'number' ? mdsw.metadata.stepSizePs : null, precisionNm: null }
    }
  }
}

/** Topology from a PDB file, checked against an atom count. */
export function readTopologyPdb (file: string, atomCount: number): Topology {
  const topology = readPdb(fs.readFileSync(file, 'utf8'), { maxPdbBytes: fs.statSync(file).size + 1 }).topology
  if (topology.atomCount !== atomCount) throw new TopologyMismatchError(`The topology ${file} has ${topology.atomCount} atoms but the trajectory has ${atomCount}.`)
  return topology
}

export interface TrajectoryWriterOptions {
  readonly atomCount: number
  /** Used for PDB and stored in .mdsw; PDB falls back to anonymous atoms. */
  readonly topology?: Topology | null
  /** XTC and .mdsw precision, nm (default 0.001). */
  readonly precisionNm?: number
  /** .mdsw: keep float32 positions exactly. */
  readonly lossless?: boolean
  /** DCD header and .mdsw metadata: integration step, ps (default: from the frames' times). */
  readonly stepSizePs?: number
  /** DCD header: steps between frames (default: from the first two frames). */
  readonly reportEvery?: number
  readonly title?: string
  /** .mdsw metadata: indices of the kept atoms in the simulated system, when frames hold a selection. */
  readonly atomSelection?: readonly number[]
}

/** A streaming writer for any supported format. */
export interface TrajectoryWriter {
  readonly format: TrajectoryFormat
  writeFrame (frame: Frame): void
  /** .mdsw only: append an already encoded chunk as it is. */
  appendChunk?: (chunk: Uint8Array) => void
  close (): void
}

/**
 * Opens a writer chosen by the file's extension. DCD's header needs the
 * step interval, so the DCD writer opens the file at its first frame and
 * takes the interval from the first two frames (or `reportEvery`).
 */
export function openTrajectoryWriter (file: string, options: TrajectoryWriterOptions): TrajectoryWriter {
  const format = formatOfPath(file)
  const precisionNm = options.precisionNm ?? DEFAULT_PRECISION_NM
  if (options.topology != null && options.topology.atomCount !== options.atomCount) {
    throw new TopologyMismatchError(`The topology has ${options.topology.atomCount} atoms but the trajectory has ${options.atomCount}.`)
  }
  switch (format) {
    case 'xtc': {
      const writer = XtcWriter.create(file, 1 / precisionNm)
      return { format, writeFrame: (f) => writer.writeFrame(f), close: () => writer.close() }
    }
    case 'mdsw': {
      const metadata: MdswMetadata = { atomCount: options.atomCount }
      if (options.topology != null) metadata.topology = topologyToJson(options.topology)
      if (options.title !== undefined) metadata.title = options.title
      if (options.stepSizePs !== undefined) metadata.stepSizePs = options.stepSizePs
      if (options.reportEvery !== undefined) metadata.reportEvery = options.reportEvery
      if (options.atomSelection !== undefined) metadata.atomSelection = [...options.atomSelection]
      const writer = MdswWriter.create(file, metadata, options.lossless === true ? { lossless: true } : { precisionNm })
      return { format, writeFrame: (f) => writer.appendFrame(f), appendChunk: (c) => writer.appendChunk(c), close: () => writer.close() }
    }
    case 'pdb': {
      const frames: Frame[] = []
      return {
        format,
        writeFrame: (f) => { frames.push(f) },
        close: () => { fs.writeFileSync(file, writePdbTrajectory(options.topology ?? genericTopology(options.atomCount), frames)) }
      }
    }
    case 'dcd': {
      let writer: DcdWriter | null = null
      let first: Frame | null = null
      const open = (second: Frame | null): DcdWriter => {
        const start = first as Frame
        const interval = options.reportEvery ?? (second !== null ? second.step - start.step : Math.max(1, start.step))
        const stepSizePs = options.stepSizePs ?? (second !== null && interval > 0 && second.timePs > start.timePs ? (second.timePs - start.timePs) / interval : 0)
        return DcdWriter.create(file, { atomCount: options.atomCount, timeStepPs: stepSizePs, interval: Math.max(1, interval), firstStep: start.step, hasUnitCell: start.box !== null, title: options.title })
      }
      return {
        format,
        writeFrame: (f) => {
          if (writer === null && first === null && options.reportEvery === undefined) { first = f; return }
          if (writer === null) {
            if (first === null) first = f
            writer = open(first === f ? null : f)
            writer.writeFrame(first.positionsNm, first.box)
            if (first === f) return
          }
          writer.writeFrame(f.positionsNm, f.box)
        },
        close: () => {
          if (writer === null && first !== null) { writer = open(null); writer.writeFrame(first.positionsNm, first.box) }
          if (writer !== null) writer.close()
          else DcdWriter.create(file, { atomCount: options.atomCount, timeStepPs: options.stepSizePs ?? 0, interval: options.reportEvery ?? 1, firstStep: 0, hasUnitCell: false, title: options.title }).close()
        }
      }
    }
  }
}
