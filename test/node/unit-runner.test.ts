import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { runUnit, type FrameBatch, type UnitWorkInput } from '../../node/runner/unit-runner.ts'
import { decodeCheckpoint } from '../../src/engine/checkpoint.ts'
import { WorkerPool } from '../../node/runner/worker-pool.ts'

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'ala2')
const inputs = {
  systemXml: fs.readFileSync(path.join(example, 'system.xml'), 'utf8'),
  integratorXml: fs.readFileSync(path.join(example, 'integrator.xml'), 'utf8'),
  pdb: fs.readFileSync(path.join(example, 'ala2.pdb'), 'utf8'),
  stateXml: fs.readFileSync(path.join(example, 'state.xml'), 'utf8')
}

function unit (overrides: Partial<UnitWorkInput> = {}): UnitWorkInput {
  return { ...inputs, seed: 11, endStep: 200, reportEvery: 20, maxFramesPerBatch: 3, maxBatchMs: 60_000, ...overrides }
}

test('frames arrive in batches closed by checkpoints, and a resumed run continues exactly', async t => {
  const batches: FrameBatch[] = []
  const outcome = await runUnit(unit(), { onBatch: b => { batches.push(b) } })
  t.is(outcome.status, 'completed')
  if (outcome.status !== 'completed') return
  t.is(outcome.step, 200)
  t.deepEqual(batches.map(b => b.frames.length), [3, 3, 3, 1])
  const steps = batches.flatMap(b => b.frames.map(f => f.step))
  t.deepEqual(steps, [20, 40, 60, 80, 100, 120, 140, 160, 180, 200])
  for (const batch of batches) {
    t.is(batch.checkpointStep, batch.frames[batch.frames.length - 1].step)
    t.is(decodeCheckpoint(batch.checkpoint).step, batch.checkpointStep)
  }
  t.is(decodeCheckpoint(outcome.checkpoint).step, 200)

  // Resume from the checkpoint at step 60 (on a pooled worker, twice): the frames after it match the uninterrupted run.
  const pool = new WorkerPool({ maxIdle: 1 })
  t.teardown(async () => { await pool.close() })
  const resumed: FrameBatch[] = []
  await runUnit(unit({ checkpoint: batches[0].checkpoint }), { pool, onBatch: () => {} })
  const second = await runUnit(unit({ checkpoint: batches[0].checkpoint }), { pool, onBatch: b => { resumed.push(b) } })
  t.is(second.status, 'completed')
  const resumedFrames = resumed.flatMap(b => b.frames)
  const originalFrames = batches.flatMap(b => b.frames).slice(3)
  t.deepEqual(resumedFrames.map(f => f.step), originalFrames.map(f => f.step))
  t.deepEqual(Array.from(resumedFrames[resumedFrames.length - 1].positionsNm), Array.from(originalFrames[originalFrames.length - 1].positionsNm))
})

test('aborting stops the worker and reports aborted', async t => {
  const controller = new AbortController()
  let batches = 0
  const outcome = await runUnit(unit({ endStep: 2_000_000, maxFramesPerBatch: 1 }), {
    signal: controller.signal,
    onBatch: () => { batches += 1; if (batches === 2) controller.abort() }
  })
  t.is(outcome.status, 'aborted')
})

test('an engine error fails the unit with the error name', async t => {
  const outcome = await runUnit(unit({ systemXml: '<System version="1"><Particles>' }), { onBatch: () => {} })
  t.is(outcome.status, 'failed')
  if (outcome.status === 'failed') {
    t.is(outcome.errorName, 'XmlParseError')
    t.false(outcome.retryable)
  }
})

test('a worker that dies fails the unit with its exit status', async t => {
  const outcome = await runUnit(unit(), { onBatch: () => {}, maxHeapMb: 2 })
  t.is(outcome.status, 'failed')
  if (outcome.status === 'failed') {
    t.is(outcome.errorName, 'WorkerCrashedError')
    t.is(typeof outcome.exitCode, 'number')
    t.true(outcome.retryable)
  }
})
