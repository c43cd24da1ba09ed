/**
 * A node SIGKILLed in the middle of a unit: its lease expires, the unit goes
 * back to the queue and resumes on the other node from the last durable
 * checkpoint; the trajectory has no missing and no duplicated frame.
 */
import test from 'ava'
import path from 'node:path'
import { connect } from '../../src/client/index.ts'
import { eventually, startCoordinator, startNode, tempDir } from './helpers/processes.ts'
import { ala2Inputs } from './helpers/inputs.ts'
import { assertFramesMatchReference, collect, referenceFrames } from './helpers/trajectory-check.ts'

const STEPS = 40_000
const REPORT_EVERY = 500
const SEED = 77

test('a unit whose node is killed mid-run completes on the other node, every frame exactly once', async t => {
  const root = tempDir(t, 'node-kill')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'), { leaseSeconds: 3 })
  const first = await startNode(t, path.join(root, 'node1'), coordinator.address, { name: 'node1' })

  // The coordinator's own home: its client key is the first allowed submitter.
  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  const [job] = await client.submit({ ...ala2Inputs(), steps: STEPS, reportEvery: REPORT_EVERY, seed: SEED, name: 'kill-me' })

  // Kill the first node once some (not all) of its frames are stored.
  const storedBeforeKill = await eventually('the first node to store some frames', async () => {
    const [summary] = await client.jobs([job.id])
    return summary.framesStored >= 4 ? summary.framesStored : undefined
  }, 120_000, 200)
  first.proc.kill('SIGKILL')
  await first.proc.exited
  const [atKill] = await client.jobs([job.id])
  t.true(atKill.state !== 'done', 'the job must still be running when its node dies')
  t.log(`node1 killed with ${atKill.framesStored} of ${atKill.totalFrames} frames stored (saw ${storedBeforeKill})`)

  const second = await startNode(t, path.join(root, 'node2'), coordinator.address, { name: 'node2' })
  const [done] = await client.waitAll([job])
  t.is(done.state, 'done', JSON.stringify(done.failure))

  const completions = await eventually('node2 to report the completion', async () => {
    const events = second.proc.events().filter(e => e.event === 'unit-completed')
    return events.length > 0 ? events : undefined
  }, 10_000)
  t.is(completions.length, 1)
  const started = second.proc.events().find(e => e.event === 'unit-started')
  t.true((started?.fromStep as number) > 0, 'node2 resumes from the last durable checkpoint, not from step 0')
  t.true(first.proc.events().every(e => e.event !== 'unit-completed'))

  assertFramesMatchReference(t, 'trajectory', await collect(job.frames()), referenceFrames(done.seed, STEPS, REPORT_EVERY))
})
