/**
 * A node SIGKILLed mid-unit and started again on the same home before its
 * lease runs out: it finds the unit in its outbox, resends what was not
 * acknowledged, resumes from its last local checkpoint under the same
 * lease, and completes it; the trajectory has every frame exactly once.
 */
import test from 'ava'
import path from 'node:path'
import { connect } from '../../src/client/index.ts'
import { eventually, startCoordinator, startNode, tempDir } from './helpers/processes.ts'
import { ala2Inputs } from './helpers/inputs.ts'
import { assertFramesMatchReference, collect, referenceFrames } from './helpers/trajectory-check.ts'

const STEPS = 40_000
const REPORT_EVERY = 500
const SEED = 31

test('a restarted node resumes its unit from its own outbox under the same lease', async t => {
  const root = tempDir(t, 'node-restart')
  const nodeHome = path.join(root, 'node')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'), { leaseSeconds: 60 })
  const first = await startNode(t, nodeHome, coordinator.address, { name: 'node#1' })

  // The coordinator's own home: its client key is the first allowed submitter.
  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  const [job] = await client.submit({ ...ala2Inputs(), steps: STEPS, reportEvery: REPORT_EVERY, seed: SEED })

  await eventually('some frames to be stored', async () => {
    const [summary] = await client.jobs([job.id])
    return summary.framesStored >= 4 ? true : undefined
  }, 120_000, 200)
  first.proc.kill('SIGKILL')
  await first.proc.exited

  const second = await startNode(t, nodeHome, coordinator.address, { name: 'node#2' })
  t.is(second.peerId, first.peerId, 'same home, same peer ID')
  const resumed = await second.proc.waitForLine(/"event":"unit-started"/, 30_000)
  const started = JSON.parse(resumed) as { resumed: boolean, attempt: number, fromStep: number }
  t.true(started.resumed, 'the unit comes from the outbox, not from a new claim')
  t.is(started.attempt, 1)
  t.true(started.fromStep > 0)

  const [done] = await client.waitAll([job])
  t.is(done.state, 'done', JSON.stringify(done.failure))
  const completion = await eventually('the completion', async () => second.proc.events().find(e => e.event === 'unit-completed'), 10_000)
  t.is(completion.attempt, 1, 'no lease expired: the same attempt finished')
  assertFramesMatchReference(t, 'trajectory', await collect(job.frames()), referenceFrames(done.seed, STEPS, REPORT_EVERY))
})
