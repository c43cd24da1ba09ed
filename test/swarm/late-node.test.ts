/**
 * Gossip is a hint: a node that starts after every offer was published (and
 * so never hears one) still gets the work, by asking the coordinator.
 */
import test from 'ava'
import path from 'node:path'
import { decode } from 'cborg'
import { connect } from '../../src/client/index.ts'
import { offersTopic } from '../../src/p2p/topics.ts'
import { parseMultiaddr } from '../../src/p2p/create-peer.ts'
import { eventually, startCoordinator, startNode, tempDir } from './helpers/processes.ts'
import { ala2Inputs } from './helpers/inputs.ts'
import { startRawPeer } from './helpers/raw-peer.ts'

test('a node started after all offers were published still gets work', async t => {
  const root = tempDir(t, 'late-node')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))

  // A listener on the offers topic sees the offers go out before any node exists.
  const listener = await startRawPeer(t)
  const offered = new Set<string>()
  listener.services.pubsub.addEventListener('message', event => {
    if (event.detail.topic !== offersTopic('default')) return
    try { offered.add((decode(event.detail.data) as { jobId: string }).jobId) } catch {}
  })
  listener.services.pubsub.subscribe(offersTopic('default'))
  await listener.dial(parseMultiaddr(coordinator.address))
  await new Promise(resolve => setTimeout(resolve, 1500))

  // The coordinator's own home: its client key is the first allowed submitter.
  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  const jobs = await client.submit({ ...ala2Inputs(), steps: 200, reportEvery: 50, replicas: 3, seed: 9 })
  await eventually('the offers to be published', async () => jobs.every(j => offered.has(j.id)) ? true : undefined, 30_000, 100)

  const node = await startNode(t, path.join(root, 'late-node'), coordinator.address, { concurrency: 2 })
  const finished = await client.waitAll(jobs)
  t.deepEqual(finished.map(j => j.state), ['done', 'done', 'done'])
  t.deepEqual(finished.map(j => j.framesStored), [4, 4, 4])
  const completed = await eventually('the node to report its units', async () => {
    const events = node.proc.events().filter(e => e.event === 'unit-completed')
    return events.length >= 3 ? events : undefined
  }, 10_000)
  t.is(completed.length, 3)
})
