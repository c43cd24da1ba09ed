/**
 * The uploader against a real coordinator (in this process: real libp2p,
 * LevelDB, protocol handlers), with the node's real link, outbox and held
 * units, and no engine: two leased units each hold a chunk (with its
 * checkpoint) in the outbox; one unit's job is cancelled before anything is
 * sent. The cancelled unit's checkpoint put is refused (not-holder) once and
 * the unit is given up at once: its outbox entries dropped, `abandon` called
 * once, nothing of it sent again. The other unit's chunk is stored.
 * Also UnitBackoff: each unit waits on its own count.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CoordinatorDaemon } from '../../coordinator/daemon.ts'
import { CoordinatorLink } from '../../node/link/coordinator-link.ts'
import { Outbox } from '../../node/outbox/outbox.ts'
import { HeldUnits, type HeldUnit } from '../../node/held-units.ts'
import { Uploader, type UnitReport } from '../../node/upload/uploader.ts'
import { UnitBackoff } from '../../node/upload/unit-backoff.ts'
import { detectCapabilities } from '../../node/capabilities.ts'
import { createPeer } from '../../src/p2p/create-peer.ts'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Simulation } from '../../src/engine/simulation.ts'
import { encodeCheckpoint } from '../../src/engine/checkpoint.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { encodeFrames } from '../../src/trajectory/index.ts'
import { sha256Hex } from '../../src/wire/hash.ts'
import type { ChunkMessage } from '../../src/wire/messages.ts'
import { connect } from '../../src/client/index.ts'
import { ala2Inputs } from '../swarm/helpers/inputs.ts'
import { eventually } from '../swarm/helpers/processes.ts'

const REPORT_EVERY = 10

/** The first two frames of an ala2 run (steps 10 and 20) and the checkpoint at step 20. */
function framesAndCheckpoint (seed: number): { frames: Frame[], checkpoint: Uint8Array } {
  const { systemXml, integratorXml, pdb, stateXml } = ala2Inputs()
  const sim = Simulation.fromInputs({ systemXml, integratorXml, pdb, stateXml, seed, threads: 1 })
  try {
    const frames: Frame[] = []
    sim.run({ steps: 2 * REPORT_EVERY, reportEvery: REPORT_EVERY, onFrame: f => { frames.push(f) } })
    return { frames, checkpoint: encodeCheckpoint(sim.checkpoint()) }
  } finally {
    sim.close()
  }
}

test('a cancelled unit is given up on its first refused upload; the unit still wanted uploads', async t => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-uploader-refusals-'))
  t.teardown(() => { fs.rmSync(root, { recursive: true, force: true }) })
  const coordinator = await CoordinatorDaemon.start({ home: path.join(root, 'coordinator'), listen: ['/ip4/127.0.0.1/tcp/0'], leaseTtlMs: 90_000 })
  t.teardown(async () => { await coordinator.stop() })
  const address = coordinator.multiaddrs.find(a => a.includes('/ip4/127.0.0.1/'))!

  const client = await connect({ coordinator: address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  const [cancelledJob, keptJob] = await client.submit({ ...ala2Inputs(), steps: 1000, reportEvery: REPORT_EVERY, seed: 1, replicas: 2 })

  const peer = await createPeer({ privateKey: await generateKeyPair('Ed25519'), listen: [], network: coordinator.network, role: 'node' })
  t.teardown(async () => { await peer.stop() })
  const link = new CoordinatorLink(peer, address)
  link.start()
  t.teardown(() => { link.stop() })
  await eventually('the link to connect', async () => link.connected ? true : undefined, 30_000, 50)

  const outbox = await Outbox.open(path.join(root, 'node'))
  t.teardown(async () => { await outbox.close() })
  const held = new HeldUnits()
  const capabilities = detectCapabilities({ concurrency: 2, openmm: false })
  const units: HeldUnit[] = []
  for (let i = 0; i < 2; i++) {
    const response = await link.claim({ type: 'claim', capabilities })
    if (response.type !== 'lease') return t.fail(`claim ${i} answered ${response.type}`)
    const { lease, unit } = response
    const record = { coordinatorPeerId: link.coordinatorPeerIdString, unit, attempt: lease.attempt, phase: 'running' as const, nextFrame: unit.firstFrameIndex, resumeStep: unit.startStep, engineMs: 0 }
    await outbox.beginUnit(record)
    const { frames, checkpoint } = framesAndCheckpoint(i + 1)
    const message: ChunkMessage = { type: 'chunk', unitId: unit.unitId, attempt: lease.attempt, firstFrame: 0, frameCount: frames.length, data: encodeFrames(frames), checkpointHash: sha256Hex(checkpoint), checkpointStep: 2 * REPORT_EVERY }
    await outbox.addChunk({ message, checkpoint }, { resumeCheckpoint: checkpoint, resumeStep: 2 * REPORT_EVERY, nextFrame: frames.length, engineMs: 1 })
    units.push(held.add(record))
  }
  const cancelledUnit = units.find(u => u.record.unit.jobId === cancelledJob.id)!
  const keptUnit = units.find(u => u.record.unit.jobId === keptJob.id)!
  await cancelledJob.cancel('test: cancelled before its frames were sent')

  const abandoned: Array<{ unitId: string, reason: string }> = []
  const reports: UnitReport[] = []
  const uploader = new Uploader({
    link,
    outbox,
    held,
    // As the daemon does: stop, drop the outbox entries, forget, report.
    abandon: async (unit, reason) => {
      if (unit.abandoned) return
      unit.abandoned = true
      held.delete(unit.unitId)
      await outbox.dropUnit(unit.unitId)
      abandoned.push({ unitId: unit.unitId, reason })
    },
    onReported: (_unit, report) => { reports.push(report) }
  })
  uploader.start()
  t.teardown(async () => { await uploader.stop() })
  uploader.wake()

  await eventually('the kept unit\'s chunk to be acknowledged', async () => await outbox.countPendingChunks(keptUnit.unitId, keptUnit.attempt) === 0 ? true : undefined, 30_000, 50)
  await eventually('the cancelled unit to be given up', async () => abandoned.length > 0 ? true : undefined, 30_000, 50)
  // Let the uploader go round its loop a few more times: nothing of the cancelled unit may leave again.
  for (let i = 0; i < 3; i++) {
    uploader.wake()
    await new Promise(resolve => setTimeout(resolve, 300))
  }
  await uploader.stop()

  t.deepEqual(abandoned.map(a => a.unitId), [cancelledUnit.unitId], 'given up once')
  t.regex(abandoned[0].reason, /no longer leases attempt 1 to this node: the job was cancelled.*\(not-holder\)$/)
  t.is(coordinator.refusals.counts['not-holder'], 1, 'one refused checkpoint put')
  t.is(coordinator.refusals.counts['stale-attempt'], 0)
  t.is(await outbox.getUnit(cancelledUnit.unitId), undefined, 'the outbox forgot the cancelled unit')
  t.is(await outbox.countPendingChunks(cancelledUnit.unitId, cancelledUnit.attempt), 0)
  t.deepEqual(reports, [], 'no second report for the given-up unit')
  t.false(keptUnit.abandoned)
  t.is((await client.status(keptJob.id)).job.framesStored, 2, 'the kept unit\'s frames are stored')
  t.is((await client.status(cancelledJob.id)).job.framesStored, 0)
})

test('UnitBackoff: each unit waits on its own failures; another unit\'s success resets nothing', t => {
  let now = 0
  const backoff = new UnitBackoff({ initialMs: 100, maxMs: 1000, now: () => now, random: () => 1 })
  t.true(backoff.isDue('a'))
  t.is(backoff.failed('a'), 100)
  t.is(backoff.failed('a'), 200)
  t.is(backoff.failed('a'), 400)
  t.false(backoff.isDue('a'))
  t.true(backoff.isDue('b'))
  backoff.succeeded('b')
  t.is(backoff.failures('a'), 3, 'b\'s success leaves a\'s count')
  t.is(backoff.msUntilNextDue(), 400)
  now = 400
  t.true(backoff.isDue('a'))
  t.is(backoff.msUntilNextDue(), undefined, 'a due unit does not make the loop spin')
  t.is(backoff.failed('a'), 800)
  t.is(backoff.failed('a'), 1000, 'capped')
  backoff.allDue()
  t.true(backoff.isDue('a'), 'the link came back')
  t.is(backoff.failed('a'), 1000, 'the count is kept')
  t.is(backoff.refused('c'), 1)
  t.is(backoff.refused('c'), 2)
  backoff.prune(unitId => unitId !== 'c')
  t.is(backoff.failures('c'), 0)
  backoff.succeeded('a')
  t.true(backoff.isDue('a'))
  t.is(backoff.msUntilNextDue(), undefined)
})
