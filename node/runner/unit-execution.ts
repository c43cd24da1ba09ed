/**
 * Runs one held unit end to end on this node: gets its payloads (cache,
 * else the coordinator), runs it in a worker thread from the latest local
 * checkpoint (or the coordinator's), and turns each batch of frames into an
 * encoded chunk persisted in the outbox together with the new resume point.
 * The result (finished or failed) is recorded in the outbox too; the
 * uploader reports it to the coordinator.
 */
import { logger } from '@libp2p/logger'
import { encodeFrames, DEFAULT_PRECISION_NM } from '../../src/trajectory/index.ts'
import { sha256Hex } from '../../src/wire/hash.ts'
import type { ChunkMessage } from '../../src/wire/messages.ts'
import type { HeldUnit } from '../held-units.ts'
import type { Outbox } from '../outbox/outbox.ts'
import type { OutboxChunk, UnitRecord } from '../outbox/records.ts'
import type { PayloadCache } from '../payload-cache.ts'
import { runUnit, type FrameBatch, type UnitOutcome } from './unit-runner.ts'
import { backoffDelayMs } from '../link/backoff.ts'
import type { WorkerPool } from './worker-pool.ts'
import type { Capabilities } from '../../src/wire/messages.ts'
import { chooseEngine, GpuSlots, usesGpu, type EnginePreferences } from './engine-choice.ts'

const log = logger('mdswarm:node:execution')

export interface ExecutionDeps {
  readonly outbox: Outbox
  readonly cache: PayloadCache
  /** Fetches a payload from the coordinator (verified against its hash). */
  readonly fetchBlob: (hash: string) => Promise<Uint8Array>
  /** Warm engine workers. */
  readonly pool: WorkerPool
  readonly maxFramesPerChunk: number
  readonly maxChunkMs: number
  /** New chunks of `held` are in the outbox. */
  readonly onChunkStored: (held: HeldUnit) => void
  /** The unit's engine run is over (its worker is free again); its last frames and result are still being stored. */
  readonly onEngineIdle?: (held: HeldUnit) => void
  /** The unit's result is in the outbox (or the unit was given up). */
  readonly onSettled: (held: HeldUnit, outcome: UnitOutcome) => void
  /** What this node advertised (picks the engine of `any` units: OpenMM when it has a GPU); absent: decided from the unit alone. */
  readonly capabilities?: Capabilities
  /** The node operator's engine choices (--engine, --python, --platform, --property). */
  readonly enginePreferences?: EnginePreferences
}

/** GPU devices handed to running OpenMM units, per device count (one unit per GPU). */
const gpuSlotsByCount = new Map<number, GpuSlots>()

function gpuSlots (count: number): GpuSlots {
  let slots = gpuSlotsByCount.get(count)
  if (slots === undefined) {
    slots = new GpuSlots(count)
    gpuSlotsByCount.set(count, slots)
  }
  return slots
}

/** Index within the job of the frame reported after absolute `step` (frame i follows step (i+1)·reportEvery). */
export function frameIndexOfStep (step: number, reportEvery: number): number {
  return Math.round(step / reportEvery) - 1
}

const MAX_PAYLOAD_ATTEMPTS = 8

async function payload (hash: string, deps: ExecutionDeps, signal: AbortSignal): Promise<Uint8Array> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await deps.cache.getOrFetch(hash, deps.fetchBlob)
    } catch (err) {
      if (signal.aborted || attempt + 1 >= MAX_PAYLOAD_ATTEMPTS) throw err
      log('fetching payload %s failed (%s); retrying', hash.slice(0, 12), (err as Error).message)
      await new Promise(resolve => setTimeout(resolve, backoffDelayMs(attempt, 250, 5000)))
    }
  }
}

/** Runs `held` (already begun in the outbox); resolves when its outcome is stored. Never rejects. */
export async function executeUnit (held: HeldUnit, deps: ExecutionDeps): Promise<void> {
  const controller = new AbortController()
  const { unit, attempt } = held.record
  held.execution = { controller, startedAtMs: performance.now(), startStep: held.step, stepSizePs: 0 }
  let outcome: UnitOutcome
  const last: HeldLastChunk = { value: null }
  try {
    outcome = await run(held, deps, controller.signal, last)
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    outcome = controller.signal.aborted ? { status: 'aborted' } : { status: 'failed', errorName: e.name, reason: `could not start the unit: ${e.message}`, retryable: true }
  }
  held.execution = null
  if (!held.abandoned) {
    try {
      const lastChunk = last.value
      if (outcome.status === 'completed') {
        const hash = sha256Hex(outcome.checkpoint)
        await deps.outbox.finishUnit(unit.unitId, { checkpoint: outcome.checkpoint, checkpointHash: hash, step: outcome.step }, held.engineMsBefore + outcome.engineMs,
          lastChunk === null ? undefined : { chunk: lastChunk.chunk, nextFrame: lastChunk.progress.nextFrame })
      } else if (outcome.status === 'failed') {
        if (lastChunk !== null) await deps.outbox.addChunk(lastChunk.chunk, lastChunk.progress)
        await deps.outbox.failUnit(unit.unitId, { errorName: outcome.errorName, reason: outcome.reason, retryable: outcome.retryable })
      }
    } catch (err) {
      log.error('recording the outcome of unit %s attempt %d failed: %s', unit.unitId, attempt, (err as Error).message)
    }
  }
  deps.onSettled(held, outcome)
}

/**
 * The unit's last chunk, kept in memory until the unit's outcome is known:
 * then both are stored in one outbox write (and the chunk leaves carrying
 * `complete`). Should the engine fail after it, the chunk is stored first.
 */
interface HeldLastChunk {
  value: { readonly chunk: OutboxChunk, readonly progress: Pick<UnitRecord, 'resumeCheckpoint' | 'resumeStep' | 'nextFrame' | 'engineMs'> } | null
}

async function run (held: HeldUnit, deps: ExecutionDeps, signal: AbortSignal, last: HeldLastChunk): Promise<UnitOutcome> {
  const { unit, attempt } = held.record
  const [systemXml, integratorXml, pdb, stateXml] = await Promise.all([
    payload(unit.systemHash, deps, signal),
    payload(unit.integratorHash, deps, signal),
    payload(unit.pdbHash, deps, signal),
    unit.stateHash !== undefined ? payload(unit.stateHash, deps, signal) : Promise.resolve(undefined)
  ])
  const record = await deps.outbox.getUnit(unit.unitId)
  if (record === undefined || held.abandoned) return { status: 'aborted' }
  let checkpoint = record.resumeCheckpoint
  if (checkpoint === undefined && unit.checkpointHash !== undefined) checkpoint = await payload(unit.checkpointHash, deps, signal)
  held.engineMsBefore = record.engineMs
  let engineMs = record.engineMs
  const text = new TextDecoder()

  // Trajectory chunks as the job asked: kept atoms, precision (XTC's 0.001 nm by default) or lossless.
  const chunkOptions = {
    precisionNm: unit.precisionNm ?? DEFAULT_PRECISION_NM,
    ...(unit.lossless === true ? { lossless: true } : {}),
    ...(unit.keepAtoms !== undefined ? { atomSelection: unit.keepAtoms } : {})
  }
  const onBatch = async (batch: FrameBatch): Promise<void> => {
    if (held.abandoned || batch.frames.length === 0) return
    const firstFrame = frameIndexOfStep(batch.frames[0].step, unit.reportEvery)
    // The unit's last chunk goes without a checkpoint: the final one travels with `complete` when a later unit needs it.
    const carriesCheckpoint = batch.checkpointStep < unit.endStep
    const message: ChunkMessage = {
      type: 'chunk',
      unitId: unit.unitId,
      attempt,
      firstFrame,
      frameCount: batch.frames.length,
      data: encodeFrames(batch.frames, chunkOptions),
      ...(carriesCheckpoint ? { checkpointHash: sha256Hex(batch.checkpoint), checkpointStep: batch.checkpointStep } : {})
    }
    engineMs += batch.engineMs
    const chunk: OutboxChunk = carriesCheckpoint ? { message, checkpoint: batch.checkpoint } : { message }
    const progress = { resumeCheckpoint: batch.checkpoint, resumeStep: batch.checkpointStep, nextFrame: firstFrame + batch.frames.length, engineMs }
    held.step = batch.checkpointStep
    if (!carriesCheckpoint) {
      last.value = { chunk, progress } // stored with the outcome, which follows at once
      return
    }
    await deps.outbox.addChunk(chunk, progress)
    deps.onChunkStored(held)
  }

  log('unit %s: inputs ready %s ms after its execution began', unit.unitId, (performance.now() - (held.execution?.startedAtMs ?? 0)).toFixed(1))
  let engine = chooseEngine(unit.requirements, deps.capabilities, deps.enginePreferences)
  let device: { slots: GpuSlots, index: number } | null = null
  if (engine.name === 'openmm' && usesGpu(engine, deps.capabilities) && engine.properties?.DeviceIndex === undefined) {
    const slots = gpuSlots(deps.capabilities?.gpus.length ?? 0)
    device = { slots, index: slots.acquire() }
    engine = { ...engine, properties: { ...engine.properties, DeviceIndex: String(device.index) } }
  }
  try {
    return await runUnit({
      systemXml: text.decode(systemXml),
      integratorXml: text.decode(integratorXml),
      pdb: text.decode(pdb),
      stateXml: stateXml === undefined ? undefined : text.decode(stateXml),
      checkpoint,
      seed: unit.seed,
      endStep: unit.endStep,
      reportEvery: unit.reportEvery,
      inputKey: [unit.systemHash, unit.integratorHash, unit.pdbHash, unit.stateHash ?? ''].join(':'),
      maxFramesPerBatch: deps.maxFramesPerChunk,
      maxBatchMs: deps.maxChunkMs,
      engine
    }, {
      signal,
      pool: deps.pool,
      onBatch,
      onEngineDone: () => { deps.onEngineIdle?.(held) },
      onStarted: info => {
        held.step = info.step
        if (held.execution !== null) {
          held.execution.startStep = info.step
          held.execution.startedAtMs = performance.now()
          held.execution.stepSizePs = info.stepSizePs
        }
      }
    })
  } finally {
    if (device !== null) device.slots.release(device.index)
  }
}
