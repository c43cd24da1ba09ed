/**
 * The node's runner with the openmm engine: engine choice per unit, frames
 * batched and closed by portable checkpoints, a builtin segment continued on
 * OpenMM, and cancellation that ends the helper.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { runUnit, type FrameBatch, type UnitWorkInput } from '../../node/runner/unit-runner.ts'
import { chooseEngine, GpuSlots } from '../../node/runner/engine-choice.ts'
import { decodeCheckpoint } from '../../src/engine/checkpoint.ts'
import type { Capabilities } from '../../src/wire/messages.ts'
import { pythonHasModule } from '../formats/debian-python.ts'
import { REPO_ROOT } from '../node/run-binary.ts'

const HAVE_OPENMM = pythonHasModule('openmm')
const live = HAVE_OPENMM ? test.serial : test.skip
if (!HAVE_OPENMM) console.log('skipping live openmm runner tests: /usr/bin/python3 cannot import openmm')

const example = path.join(REPO_ROOT, 'examples', 'ala2')
const inputs = {
  systemXml: fs.readFileSync(path.join(example, 'system.xml'), 'utf8'),
  integratorXml: fs.readFileSync(path.join(example, 'integrator.xml'), 'utf8'),
  pdb: fs.readFileSync(path.join(example, 'ala2.pdb'), 'utf8'),
  stateXml: fs.readFileSync(path.join(example, 'state.xml'), 'utf8'),
}
const OPENMM_REFERENCE = { name: 'openmm', platform: 'Reference' } as const

function unit (overrides: Partial<UnitWorkInput> = {}): UnitWorkInput {
  return { ...inputs, seed: 11, endStep: 200, reportEvery: 20, maxFramesPerBatch: 3, maxBatchMs: 60_000, ...overrides }
}

function caps (openmmPlatforms: string[] | null, gpus = 0): Capabilities {
  return {
    engines: {
      builtin: { version: '0.1.0', platforms: ['TypeScript'], forceTypes: ['HarmonicBondForce', 'NonbondedForce'] },
      ...(openmmPlatforms === null ? {} : { openmm: { version: '8.1', platforms: openmmPlatforms, forceTypes: ['CMAPTorsionForce', 'NonbondedForce'] } }),
    },
    concurrency: 1,
    cpuCores: 4,
    memoryBytes: 2 ** 34,
    gpus: Array.from({ length: gpus }, () => ({ name: 'NVIDIA H100', memoryBytes: 2 ** 36, driver: '550' })),
  }
}

test('engine choice: required engines, forces the builtin lacks, platforms, GPUs', t => {
  t.deepEqual(chooseEngine({ engine: 'any', forceTypes: ['HarmonicBondForce'] }, caps(['CPU'])), { name: 'builtin' })
  t.is(chooseEngine({ engine: 'any', forceTypes: ['CMAPTorsionForce'] }, caps(['CPU'])).name, 'openmm')
  t.is(chooseEngine({ engine: 'openmm', forceTypes: [] }, caps(['CPU'])).name, 'openmm')
  t.is(chooseEngine({ engine: 'builtin', forceTypes: [] }, caps(['CUDA'], 1)).name, 'builtin')
  t.deepEqual(chooseEngine({ engine: 'any', platform: 'CPU', forceTypes: [] }, caps(['CPU'])), { name: 'openmm', platform: 'CPU', properties: {} })
  // A node with a GPU runs `any` units on it, in mixed precision as the seed's design did.
  t.deepEqual(chooseEngine({ engine: 'any', forceTypes: [] }, caps(['CUDA', 'CPU'], 2)), { name: 'openmm', properties: { CudaPrecision: 'mixed' } })
  // OpenCL alike (Debian's OpenMM has OpenCL but no CUDA); with both, each platform gets its own property
  t.deepEqual(chooseEngine({ engine: 'any', forceTypes: [] }, caps(['OpenCL', 'CPU'], 1)), { name: 'openmm', properties: { OpenCLPrecision: 'mixed' } })
  t.deepEqual(chooseEngine({ engine: 'any', forceTypes: [] }, caps(['CUDA', 'OpenCL', 'CPU'], 1)),
    { name: 'openmm', properties: { CudaPrecision: 'mixed', OpenCLPrecision: 'mixed' } })
  t.deepEqual(chooseEngine({ engine: 'any', platform: 'OpenCL', forceTypes: [] }, caps(['CUDA', 'OpenCL', 'CPU'], 1)),
    { name: 'openmm', platform: 'OpenCL', properties: { OpenCLPrecision: 'mixed' } })
  t.deepEqual(chooseEngine({ engine: 'any', forceTypes: [] }, caps(['CUDA'], 2), { preferred: 'builtin' }), { name: 'builtin' })
  t.deepEqual(chooseEngine({ engine: 'any', forceTypes: [] }, caps(['CPU']), { preferred: 'openmm', platform: 'CPU', properties: { Threads: '1' } }),
    { name: 'openmm', platform: 'CPU', properties: { Threads: '1' } })
})

test('GPU slots: one unit per device, lowest free first', t => {
  const slots = new GpuSlots(2)
  const a = slots.acquire()
  const b = slots.acquire()
  t.deepEqual([a, b], [0, 1])
  slots.release(a)
  t.is(slots.acquire(), 0)
})

live('an openmm unit: frames in batches closed by checkpoints, ending at endStep', async t => {
  const batches: FrameBatch[] = []
  let started: { step: number, atomCount: number } | undefined
  const outcome = await runUnit(unit({ engine: OPENMM_REFERENCE }), { onBatch: b => { batches.push(b) }, onStarted: info => { started = info } })
  t.is(outcome.status, 'completed', JSON.stringify(outcome))
  if (outcome.status !== 'completed') return
  t.deepEqual(started && { step: started.step, atomCount: started.atomCount }, { step: 0, atomCount: 22 })
  t.is(outcome.step, 200)
  t.deepEqual(batches.map(b => b.frames.length), [3, 3, 3, 1])
  t.deepEqual(batches.flatMap(b => b.frames.map(f => f.step)), [20, 40, 60, 80, 100, 120, 140, 160, 180, 200])
  for (const batch of batches) {
    t.is(batch.checkpointStep, batch.frames[batch.frames.length - 1].step)
    t.is(decodeCheckpoint(batch.checkpoint).step, batch.checkpointStep)
  }
  t.is(decodeCheckpoint(outcome.checkpoint).step, 200)
})

live('a unit begun on the builtin engine continues on OpenMM from its checkpoint', async t => {
  const first: FrameBatch[] = []
  const builtin = await runUnit(unit({ endStep: 100 }), { onBatch: b => { first.push(b) } })
  t.is(builtin.status, 'completed')
  if (builtin.status !== 'completed') return
  const second: FrameBatch[] = []
  const openmm = await runUnit(unit({ endStep: 200, checkpoint: builtin.checkpoint, engine: OPENMM_REFERENCE }), { onBatch: b => { second.push(b) } })
  t.is(openmm.status, 'completed')
  t.deepEqual(second.flatMap(b => b.frames.map(f => f.step)), [120, 140, 160, 180, 200])
  const temperatures = second.flatMap(b => b.frames.map(f => f.temperatureK))
  t.true(temperatures.every(T => T > 100 && T < 700), `temperatures stay physical: ${temperatures.join(', ')}`)
})

live('cancelling an openmm unit kills its helper and reports aborted', async t => {
  const controller = new AbortController()
  let batches = 0
  const outcome = await runUnit(unit({ endStep: 2_000_000, maxFramesPerBatch: 1, engine: OPENMM_REFERENCE }), {
    signal: controller.signal,
    onBatch: () => { batches += 1; if (batches === 2) controller.abort() },
  })
  t.is(outcome.status, 'aborted')
})

live('OpenMM refusing the platform fails the unit with OpenmmError (retryable elsewhere)', async t => {
  const outcome = await runUnit(unit({ engine: { name: 'openmm', platform: 'CUDA' } }), { onBatch: () => {} })
  t.is(outcome.status, 'failed')
  if (outcome.status !== 'failed') return
  t.is(outcome.errorName, 'OpenmmError')
  t.true(outcome.retryable)
})

live('consecutive openmm units reuse a warm helper process', async t => {
  const { HelperPool } = await import('../../src/engine-openmm/helper-pool.ts')
  const pool = new HelperPool({ maxIdle: 1 })
  t.teardown(async () => { await pool.close() })
  const first = await runUnit(unit({ endStep: 40, engine: OPENMM_REFERENCE }), { onBatch: () => {}, openmmPool: pool })
  t.is(first.status, 'completed')
  t.is(pool.idleCount, 1)
  const second = await runUnit(unit({ endStep: 40, engine: OPENMM_REFERENCE, seed: 12 }), { onBatch: () => {}, openmmPool: pool })
  t.is(second.status, 'completed')
  t.is(pool.idleCount, 1)
})
