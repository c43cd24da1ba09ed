/**
 * A cancelled unit is given up on the coordinator's first refusal, not
 * re-uploaded until the next lease renewal: a real coordinator and a real
 * node daemon (in this process, real libp2p and LevelDB), a lease long
 * enough that the renewal (every third of it) comes well after the cancel,
 * and chunks closed every few frames so each carries a checkpoint put. The
 * other job's unit, which the coordinator still wants, uploads every frame.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CoordinatorDaemon } from '../../coordinator/daemon.ts'
import { NodeDaemon } from '../../node/daemon.ts'
import { connect } from '../../src/client/index.ts'
import { ala2Inputs } from '../swarm/helpers/inputs.ts'
import { eventually } from '../swarm/helpers/processes.ts'

test('after a cancel the node gives the unit up on the first refusal, once; the other unit uploads everything', async t => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-upload-after-cancel-'))
  t.teardown(() => { fs.rmSync(root, { recursive: true, force: true }) })

  const coordinator = await CoordinatorDaemon.start({ home: path.join(root, 'coordinator'), listen: ['/ip4/127.0.0.1/tcp/0'], leaseTtlMs: 90_000 })
  t.teardown(async () => { await coordinator.stop() })
  const address = coordinator.multiaddrs.find(a => a.includes('/ip4/127.0.0.1/'))
  if (address === undefined) return t.fail(`no loopback address among ${coordinator.multiaddrs.join(', ')}`)

  const node = await NodeDaemon.create({ home: path.join(root, 'node'), coordinator: address, concurrency: 2, maxFramesPerChunk: 2, maxChunkMs: 100, claimPollIntervalMs: 200 })
  t.teardown(async () => { await node.stop() })
  const abandoned: Array<{ unitId: string, jobId: string, reason: string }> = []
  const started: Array<{ unitId: string, jobId: string }> = []
  node.on('unit-abandoned', e => { abandoned.push(e) })
  node.on('unit-started', e => { started.push(e) })
  await node.begin()

  const client = await connect({ coordinator: address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  // Job A runs far longer than the test; job B is short: 60 frames, 2 per chunk.
  const [jobA] = await client.submit({ ...ala2Inputs(), steps: 50_000_000, reportEvery: 10, seed: 3, name: 'cancelled' })
  const [jobB] = await client.submit({ ...ala2Inputs(), steps: 600, reportEvery: 10, seed: 4, name: 'kept' })

  // A has stored frames (so its checkpoints were being put) before it is cancelled.
  await eventually('job A to store frames', async () => (await client.status(jobA.id)).job.framesStored >= 4 ? true : undefined, 60_000, 100)
  const unitA = started.find(s => s.jobId === jobA.id)?.unitId
  if (unitA === undefined) return t.fail('the node never started job A')
  await jobA.cancel('test: cancelled while running')

  const gaveUp = await eventually('the node to give unit A up', async () => abandoned.find(e => e.unitId === unitA), 60_000, 50)
  t.regex(gaveUp.reason, /no longer leases attempt \d+ to this node.*\((not-holder|cancelled|stale-attempt)\)$/, 'given up on a refusal, not on the lease renewal')
  // Whatever A still had in flight is answered by now; nothing of it is sent again.
  await eventually('unit A to stop running', async () => node.runningUnits.includes(unitA) ? undefined : true, 30_000, 50)
  const refusedAfterGivingUp = coordinator.refusals.counts['not-holder'] + coordinator.refusals.counts['stale-attempt']

  const [doneB] = await client.waitAll([jobB])
  t.is(doneB.state, 'done')
  t.is(doneB.framesStored, 60, 'the unit the coordinator still wanted uploaded every frame')

  const refused = coordinator.refusals.counts['not-holder'] + coordinator.refusals.counts['stale-attempt']
  t.true(refused <= 3, `refused uploads after the cancel: ${refused}`)
  t.is(refused, refusedAfterGivingUp, 'no refused upload after the unit was given up')
  t.is(abandoned.filter(e => e.unitId === unitA).length, 1, 'one report of giving the unit up')
  t.is((await client.status(jobA.id)).job.state, 'cancelled')
})
