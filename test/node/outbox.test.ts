import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Outbox, type UnitRecord } from '../../node/outbox/outbox.ts'
import type { UnitSpec } from '../../src/wire/messages.ts'

const unit: UnitSpec = {
  unitId: 'job1:0', jobId: 'job1', segmentIndex: 0, startStep: 0, endStep: 100, reportEvery: 10,
  firstFrameIndex: 0, seed: 1, systemHash: 'a'.repeat(64), integratorHash: 'b'.repeat(64), pdbHash: 'c'.repeat(64),
  requirements: { engine: 'builtin', forceTypes: ['HarmonicBondForce'] }
}

function record (attempt = 1): UnitRecord {
  return { coordinatorPeerId: 'peer', unit, attempt, phase: 'running', nextFrame: 0, engineMs: 0 }
}

function chunk (firstFrame: number, attempt = 1) {
  return { message: { type: 'chunk' as const, unitId: unit.unitId, attempt, firstFrame, frameCount: 2, data: new Uint8Array([firstFrame, 1, 2]) }, checkpoint: new Uint8Array([9, firstFrame]) }
}

test('chunks survive a reopen, come back in frame order, and go only when acknowledged', async t => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-outbox-'))
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }))
  let outbox = await Outbox.open(home)
  await outbox.beginUnit(record())
  for (const first of [0, 2, 4, 6, 8, 10, 12]) {
    await outbox.addChunk(chunk(first), { resumeCheckpoint: new Uint8Array([first]), resumeStep: (first + 2) * 10, nextFrame: first + 2, engineMs: first })
  }
  await outbox.ackChunk({ unitId: unit.unitId, attempt: 1, firstFrame: 0 })
  await outbox.close()

  outbox = await Outbox.open(home)
  t.teardown(async () => { await outbox.close() })
  const pending = await outbox.pendingChunks(unit.unitId, 1)
  t.deepEqual(pending.map(c => c.message.firstFrame), [2, 4, 6, 8, 10, 12])
  t.deepEqual(pending[0].checkpoint, new Uint8Array([9, 2]))
  t.true(pending[0].message.data instanceof Uint8Array)
  const stored = await outbox.getUnit(unit.unitId)
  t.is(stored?.nextFrame, 14)
  t.is(stored?.resumeStep, 140)
  t.deepEqual(stored?.resumeCheckpoint, new Uint8Array([12]))

  await outbox.finishUnit(unit.unitId, { checkpoint: new Uint8Array([7]), checkpointHash: 'd'.repeat(64), step: 100 }, 42)
  t.is((await outbox.allUnits())[0].phase, 'finished')

  // A new attempt of the same unit replaces the old attempt's leftovers.
  await outbox.beginUnit(record(2))
  t.is(await outbox.countPendingChunks(unit.unitId, 1), 0)
  await outbox.addChunk(chunk(4, 2), { nextFrame: 6, engineMs: 1 })
  await outbox.dropUnit(unit.unitId)
  t.deepEqual(await outbox.allUnits(), [])
  t.is(await outbox.countPendingChunks(unit.unitId, 2), 0)
})

test('a unit\'s last chunk is stored with its end in one write and survives a reopen', async t => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-outbox-'))
  t.teardown(() => fs.rmSync(home, { recursive: true, force: true }))
  let outbox = await Outbox.open(home)
  await outbox.beginUnit(record())
  await outbox.addChunk(chunk(0), { resumeCheckpoint: new Uint8Array([0]), resumeStep: 20, nextFrame: 2, engineMs: 1 })
  const last = { message: { type: 'chunk' as const, unitId: unit.unitId, attempt: 1, firstFrame: 2, frameCount: 8, data: new Uint8Array([2, 3]) } }
  await outbox.finishUnit(unit.unitId, { checkpoint: new Uint8Array([7]), checkpointHash: 'd'.repeat(64), step: 100 }, 42, { chunk: last, nextFrame: 10 })
  await outbox.close()

  outbox = await Outbox.open(home)
  t.teardown(async () => { await outbox.close() })
  t.deepEqual((await outbox.pendingChunks(unit.unitId, 1)).map(c => [c.message.firstFrame, c.message.frameCount, c.checkpoint === undefined]), [[0, 2, false], [2, 8, true]])
  const stored = await outbox.getUnit(unit.unitId)
  t.like(stored, { phase: 'finished', nextFrame: 10, engineMs: 42, resumeStep: 100, final: { step: 100 } })
})

for (const dropFirst of [false, true]) {
  test(`a unit dropped while its chunk is being written leaves nothing on disk (${dropFirst ? 'drop handed over first' : 'chunk handed over first'})`, async t => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-outbox-'))
    t.teardown(() => fs.rmSync(home, { recursive: true, force: true }))
    let outbox = await Outbox.open(home)
    await outbox.beginUnit(record())
    await outbox.addChunk(chunk(0), { resumeCheckpoint: new Uint8Array([0]), resumeStep: 20, nextFrame: 2, engineMs: 1 })
    // neither awaited before the other is handed over, as when a cancel arrives while the run stores a chunk
    const add = (): Promise<void> => outbox.addChunk(chunk(2), { resumeCheckpoint: new Uint8Array([2]), resumeStep: 40, nextFrame: 4, engineMs: 2 })
    const [first, second] = dropFirst ? [outbox.dropUnit(unit.unitId), add()] : [add(), outbox.dropUnit(unit.unitId)]
    const outcomes = await Promise.allSettled([first, second])
    if (dropFirst) t.like(outcomes[1], { status: 'rejected', reason: { name: 'UnknownUnitError' } })
    else t.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'fulfilled'])
    t.is(await outbox.getUnit(unit.unitId), undefined)
    await outbox.close()
    outbox = await Outbox.open(home)
    t.deepEqual(await outbox.allUnits(), [])
    t.deepEqual(await outbox.pendingChunks(unit.unitId, 1), [])
    await outbox.close()
  })
}
