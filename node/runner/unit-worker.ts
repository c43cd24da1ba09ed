/**
 * Runs work units inside a worker thread, one at a time: for each `run`
 * message it builds the engine's `Simulation` from the unit's inputs (and
 * checkpoint), steps frame by frame to `endStep`, and posts frames to the
 * main thread in batches closed by a checkpoint. Any engine error is posted
 * as `failed` with its name. Cancelling a unit terminates the whole thread.
 * Inputs read once are kept by `inputKey` (the payload hashes), so consecutive
 * units of one system skip parsing its XML and PDB.
 */
import { parentPort } from 'node:worker_threads'
import { logger } from '@libp2p/logger'
import { Simulation } from '../../src/engine/simulation.ts'
import { loadInputs, type LoadedInputs } from '../../src/engine/load.ts'
import { encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import type { Frame } from '../../src/engine/frame.ts'
import type { RunMessage, UnitWorkInput, WorkerMessageBody } from './protocol.ts'

const log = logger('mdswarm:node:worker')
const port = parentPort
if (port === null) throw new Error('unit-worker.ts must run in a worker thread')

/** Inputs read recently, by input key (most recently used last). */
const loadedByKey = new Map<string, LoadedInputs>()
const MAX_KEPT_INPUTS = 4

function load (input: UnitWorkInput): LoadedInputs {
  const key = input.inputKey
  const kept = key === undefined ? undefined : loadedByKey.get(key)
  if (kept !== undefined && key !== undefined) {
    loadedByKey.delete(key)
    loadedByKey.set(key, kept)
    return kept
  }
  const loaded = loadInputs({ systemXml: input.systemXml, integratorXml: input.integratorXml, pdb: input.pdb, stateXml: input.stateXml })
  if (key !== undefined) {
    loadedByKey.set(key, loaded)
    for (const oldest of loadedByKey.keys()) {
      if (loadedByKey.size <= MAX_KEPT_INPUTS) break
      loadedByKey.delete(oldest)
    }
  }
  return loaded
}

function run (input: UnitWorkInput, post: (message: WorkerMessageBody) => void): void {
  const receivedAt = performance.now()
  const sim = Simulation.fromLoaded(load(input), { checkpoint: input.checkpoint, seed: input.seed, threads: 1 })
  const readyAt = performance.now()
  post({ type: 'started', step: sim.step, stepSizePs: sim.integrator.stepSizePs, atomCount: sim.system.particleCount })

  let pending: Frame[] = []
  let engineMs = 0
  let lastBatchAt = performance.now()
  const onFrame = (frame: Frame): void => { pending.push(frame) }

  const flush = (): void => {
    const frames = pending
    pending = []
    // Structured clone copies the frames; no transfer list, since the engine
    // may hand out views of buffers it keeps.
    const checkpoint = encodeCheckpoint(sim.checkpoint())
    post({ type: 'batch', frames, checkpoint, checkpointStep: sim.step, engineMs })
    engineMs = 0
    lastBatchAt = performance.now()
  }

  while (sim.step < input.endStep) {
    const toNextFrame = input.reportEvery - (sim.step % input.reportEvery)
    const steps = Math.min(toNextFrame, input.endStep - sim.step)
    const t0 = performance.now()
    sim.run({ steps, reportEvery: input.reportEvery, onFrame })
    engineMs += performance.now() - t0
    if (pending.length === 0) continue
    if (pending.length >= input.maxFramesPerBatch || performance.now() - lastBatchAt >= input.maxBatchMs || sim.step >= input.endStep) flush()
  }
  const checkpoint = encodeCheckpoint(sim.checkpoint())
  post({ type: 'done', checkpoint, step: sim.step, engineMs })
  log('run to step %d: %s ms to set up, %s ms in all', sim.step, (readyAt - receivedAt).toFixed(1), (performance.now() - receivedAt).toFixed(1))
}

port.on('message', (message: RunMessage) => {
  if (message?.type !== 'run') return
  const post = (body: WorkerMessageBody): void => { port.postMessage({ ...body, runId: message.runId }) }
  try {
    run(message.input, post)
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err))
    post({ type: 'failed', errorName: e.name, message: e.message })
  }
})
