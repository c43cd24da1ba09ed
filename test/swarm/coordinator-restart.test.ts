/**
 * The coordinator SIGKILLed while nodes are working and started again on the
 * same home and port: the chunks it acknowledged are intact, the nodes
 * reconnect by themselves (and send what they made meanwhile), and every job
 * finishes with each frame exactly once.
 */
import test from 'ava'
import path from 'node:path'
import { connect } from '../../src/client/index.ts'
import { eventually, startCoordinator, startNode, tempDir } from './helpers/processes.ts'
import { ala2Inputs } from './helpers/inputs.ts'
import { assertFramesMatchReference, collect, referenceFrames } from './helpers/trajectory-check.ts'

const STEPS = 16_000
const REPORT_EVERY = 400
const SEGMENT_STEPS = 4000
const JOBS = 4
const SEED = 4242

test('jobs survive a coordinator kill -9 and restart; nodes reconnect on their own', async t => {
  const root = tempDir(t, 'coord-restart')
  const home = path.join(root, 'coordinator')
  const first = await startCoordinator(t, home, { leaseSeconds: 20, name: 'coordinator#1' })
  const port = /\/tcp\/(\d+)\//.exec(first.address)![1]
  const nodes = await Promise.all([1, 2].map(async i => await startNode(t, path.join(root, `node${i}`), first.address, { concurrency: 2, name: `node${i}` })))

  let client = await connect({ coordinator: first.address, home })
  // closes whichever client is current, also when a step below fails
  t.teardown(async () => { await client.close() })
  const jobs = await client.submit({ ...ala2Inputs(), steps: STEPS, reportEvery: REPORT_EVERY, segmentSteps: SEGMENT_STEPS, replicas: JOBS, seed: SEED, name: 'restart' })
  const jobIds = jobs.map(j => j.id)
  const totalFrames = JOBS * STEPS / REPORT_EVERY

  const before = await eventually('some frames to be stored', async () => {
    const summaries = await client.jobs(jobIds)
    const stored = summaries.reduce((sum, s) => sum + s.framesStored, 0)
    return stored >= totalFrames / 8 ? summaries : undefined
  }, 120_000, 200)
  await client.close()
  first.proc.kill('SIGKILL')
  await first.proc.exited
  const storedAtKill = new Map(before.map(s => [s.id, s.framesStored]))
  t.log(`coordinator killed with ${[...storedAtKill.values()].reduce((a, b) => a + b, 0)} of ${totalFrames} frames stored`)
  t.true(before.some(s => s.state !== 'done'), 'the kill must come while jobs are running')

  // The nodes notice and keep redialling; meanwhile they keep computing into their outboxes.
  await Promise.all(nodes.map(async n => await n.proc.waitForLine(/"event":"disconnected"/, 30_000)))
  await new Promise(resolve => setTimeout(resolve, 1500))

  const second = await startCoordinator(t, home, { leaseSeconds: 20, listen: `/ip4/127.0.0.1/tcp/${port}`, name: 'coordinator#2' })
  t.is(second.peerId, first.peerId, 'same home, same identity')
  client = await connect({ coordinator: second.address, home })

  // What was acknowledged before the kill is still there.
  for (const summary of await client.jobs(jobIds)) t.true(summary.framesStored >= (storedAtKill.get(summary.id) ?? 0), `job ${summary.id} lost acknowledged frames`)

  const reconnects = await Promise.all(nodes.map(async n => {
    const from = n.proc.stdoutLines.findIndex(l => l.includes('"event":"disconnected"'))
    return await n.proc.waitForLine(/"event":"connected"/, 60_000, from)
  }))
  t.is(reconnects.length, 2)

  const finished = await client.waitAll(jobIds)
  t.deepEqual(finished.map(j => j.state), finished.map(() => 'done'), finished.map(j => JSON.stringify(j.failure)).join('\n'))
  for (const summary of finished) {
    assertFramesMatchReference(t, `job ${summary.id}`, await collect(client.frames(summary.id)), referenceFrames(summary.seed, STEPS, REPORT_EVERY))
  }
})
