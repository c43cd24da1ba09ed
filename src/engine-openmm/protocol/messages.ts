/**
 * The messages of the OpenMM helper protocol: type bytes and the field list
 * of each (codec.ts has the framing). The helper's Python mirrors these.
 */
import type { Checkpoint } from '../../engine/checkpoint.ts'
import type { Frame } from '../../engine/frame.ts'
import { OpenmmProtocolError } from '../errors.ts'
import { encodeMessage, f64Field, PayloadReader, textField, type RawMessage } from './codec.ts'

export const MessageType = {
  // node -> helper
  Init: 0x01,
  Run: 0x02,
  GetCheckpoint: 0x03,
  GetFrame: 0x04,
  Detect: 0x05,
  Stop: 0x06,
  Quit: 0x07,
  // helper -> node
  Ready: 0x81,
  Frame: 0x82,
  Checkpoint: 0x83,
  RunDone: 0x84,
  Detected: 0x85,
  Progress: 0x86,
  Error: 0x8f,
} as const

export interface InitConfig {
  /** OpenMM platform name; null: the fastest that creates a context (CUDA, OpenCL, CPU, Reference). */
  readonly platform: string | null
  /** Platform properties, e.g. { CudaPrecision: 'mixed', DeviceIndex: '0', Threads: '2' }. */
  readonly properties: Readonly<Record<string, string>>
  /** Integrator random seed and the seed of starting velocities; null: OpenMM's choice. */
  readonly seed: number | null
  /** Frames with molecules wrapped into the periodic box (as OpenMM's DCDReporter); checkpoints never are. */
  readonly wrapFrames: boolean
}

export interface InitInputs {
  readonly systemXml: string
  readonly integratorXml: string
  readonly stateXml?: string
  readonly pdb?: string
  readonly checkpoint?: Checkpoint
}

/** INIT: config JSON, System, Integrator, State ('' if none), PDB ('' if none), checkpoint [step, timePs] (empty if none), positions, velocities, box. */
export function encodeInit (config: InitConfig, inputs: InitInputs): Uint8Array {
  const c = inputs.checkpoint
  return encodeMessage(MessageType.Init, [
    textField(JSON.stringify(config)),
    textField(inputs.systemXml),
    textField(inputs.integratorXml),
    textField(inputs.stateXml ?? ''),
    textField(inputs.pdb ?? ''),
    f64Field(c === undefined ? [] : [c.step, c.timePs]),
    f64Field(c?.positionsNm ?? []),
    f64Field(c?.velocitiesNmPerPs ?? []),
    f64Field(c?.box ?? []),
  ])
}

/** RUN: [steps, reportEvery]. The helper answers FRAME at every multiple of reportEvery, PROGRESS between, then RUN_DONE. */
export function encodeRun (steps: number, reportEvery: number): Uint8Array {
  return encodeMessage(MessageType.Run, [f64Field([steps, reportEvery])])
}

export function encodeBare (type: number): Uint8Array {
  return encodeMessage(type)
}

/** What the helper says once its Context exists. */
export interface ReadyInfo {
  readonly openmmVersion: string
  readonly platform: string
  /** Platform property values as OpenMM reports them for this context. */
  readonly properties: Readonly<Record<string, string>>
  readonly particleCount: number
  readonly stepSizePs: number
  readonly step: number
  readonly timePs: number
  readonly periodic: boolean
}

export interface DetectedInfo {
  readonly openmmVersion: string
  /** Platforms that created a context, fastest first. */
  readonly platforms: string[]
  /** Platforms OpenMM has that failed to create a context, with OpenMM's message. */
  readonly failed: Record<string, string>
  /** The Force classes this OpenMM has (their XML type names). */
  readonly forceTypes: string[]
  readonly python: string
}

export interface HelperErrorInfo {
  /** 'openmm' (OpenMM raised), 'input', 'checkpoint' (of another system), 'blowup', 'unavailable' (OpenMM not importable) */
  readonly kind: 'openmm' | 'input' | 'checkpoint' | 'blowup' | 'unavailable'
  readonly errorType: string
  readonly message: string
  readonly step?: number
}

function expect (message: RawMessage, type: number, what: string): PayloadReader {
  if (message.type !== type) throw new OpenmmProtocolError(`expected ${what}, got message type 0x${message.type.toString(16)}`)
  return new PayloadReader(message.payload)
}

export function decodeJson<T> (message: RawMessage, type: number, what: string): T {
  const reader = expect(message, type, what)
  const value = reader.json<T>()
  reader.end()
  return value
}

/** FRAME: [step, timePs, potential kJ/mol, kinetic kJ/mol, temperature K], box (0 or 9 nm), positions (f32, nm). */
export function decodeFrame (message: RawMessage): Frame {
  const reader = expect(message, MessageType.Frame, 'a frame')
  const scalars = reader.f64()
  const box = reader.f64()
  const positionsNm = reader.f32()
  reader.end()
  if (scalars.length !== 5 || (box.length !== 0 && box.length !== 9) || positionsNm.length % 3 !== 0) {
    throw new OpenmmProtocolError('a frame has the wrong number of values')
  }
  return {
    step: scalars[0],
    timePs: scalars[1],
    potentialEnergy: scalars[2],
    kineticEnergy: scalars[3],
    temperatureK: scalars[4],
    box: box.length === 9 ? box : null,
    positionsNm,
  }
}

/** CHECKPOINT: [step, timePs], positions (nm), velocities (nm/ps), box (0 or 9 nm). OpenMM's random state is not portable: rngState null. */
export function decodeCheckpointMessage (message: RawMessage): Checkpoint {
  const reader = expect(message, MessageType.Checkpoint, 'a checkpoint')
  const scalars = reader.f64()
  const positionsNm = reader.f64()
  const velocitiesNmPerPs = reader.f64()
  const box = reader.f64()
  reader.end()
  if (scalars.length !== 2 || positionsNm.length !== velocitiesNmPerPs.length || positionsNm.length % 3 !== 0 || (box.length !== 0 && box.length !== 9)) {
    throw new OpenmmProtocolError('a checkpoint has the wrong number of values')
  }
  return {
    particleCount: positionsNm.length / 3,
    positionsNm,
    velocitiesNmPerPs,
    box: box.length === 9 ? box : null,
    step: scalars[0],
    timePs: scalars[1],
    rngState: null,
  }
}

/** RUN_DONE and PROGRESS: [step, timePs?, stepsDone?]. */
export function decodeSteps (message: RawMessage): Float64Array {
  const reader = new PayloadReader(message.payload)
  const values = reader.f64()
  reader.end()
  if (values.length < 1) throw new OpenmmProtocolError('a progress message has no step')
  return values
}
