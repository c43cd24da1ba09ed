/**
 * One coordinator and two node daemons as separate processes on 127.0.0.1:
 * 20 jobs of several segments each complete, and every job's trajectory
 * holds every frame exactly once and in order.
 */
import test from 'ava'
import path from 'node:path'
import { connect } from '../../src/client/index.ts'
import { eventually, runCliCommand, startCoordinator, startNode, tempDir } from './helpers/processes.ts'
import { ala2Files, ala2Inputs } from './helpers/inputs.ts'
import { assertDcdMatchesReference, assertFramesMatchReference, collect, referenceFrames } from './helpers/trajectory-check.ts'

const STEPS = 200
const REPORT_EVERY = 20
const SEGMENT_STEPS = 100
const JOBS = 20
const SEED = 1000

test('20 multi-segment jobs on 2 nodes complete with every frame exactly once, in order', async t => {
  const root = tempDir(t, 'ensemble')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))
  const nodes = await Promise.all([1, 2].map(async i => await startNode(t, path.join(root, `node${i}`), coordinator.address, { concurrency: 2, name: `node${i}` })))

  // The coordinator's own home: its client key is the first allowed submitter.
  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  const jobs = await client.submit({ ...ala2Inputs(), steps: STEPS, reportEvery: REPORT_EVERY, segmentSteps: SEGMENT_STEPS, replicas: JOBS, seed: SEED, name: 'ensemble' })
  t.is(jobs.length, JOBS)

  const finished = await client.waitAll(jobs)
  t.deepEqual(finished.map(j => j.state), finished.map(() => 'done'), finished.filter(j => j.state !== 'done').map(j => JSON.stringify(j.failure)).join('\n'))

  // Both nodes took part (the units are spread by claims, not assigned).
  // Both nodes took part (the units are spread by claims, not assigned); a node prints its
  // last completion just after the coordinator has recorded it.
  const completedBy = await eventually('every unit completion to be printed', async () => {
    const counts = nodes.map(n => n.proc.events().filter(e => e.event === 'unit-completed').length)
    return counts.reduce((a, b) => a + b, 0) >= JOBS * (STEPS / SEGMENT_STEPS) ? counts : undefined
  }, 10_000)
  t.log(`units completed per node: ${completedBy.join(', ')}`)
  t.true(completedBy.every(count => count > 0))

  const summaries = await client.jobs(jobs.map(j => j.id))
  for (const [index, job] of jobs.entries()) {
    const summary = summaries.find(s => s.id === job.id)!
    const reference = referenceFrames(summary.seed, STEPS, REPORT_EVERY)
    assertFramesMatchReference(t, `job ${index}`, await collect(job.frames()), reference)
  }

  // Two of them through the CLI as DCD, read back with our reader and with mdtraj.
  for (const job of jobs.slice(0, 2)) {
    const out = path.join(root, `${job.id}.dcd`)
    const fetched = await runCliCommand(t, 'mdswarm', ['fetch', job.id, '-o', out, '--coordinator', coordinator.address, '--home', coordinator.home])
    t.is(fetched.code, 0, fetched.stderr)
    const summary = summaries.find(s => s.id === job.id)!
    assertDcdMatchesReference(t, `job ${job.id} (DCD)`, out, ala2Files.pdb, referenceFrames(summary.seed, STEPS, REPORT_EVERY))
  }
  await eventually('nodes to stay up', async () => nodes.every(n => n.proc.alive) ? true : undefined, 1000)
})
