/**
 * Network names, with real daemons in this process: a node started without
 * a network takes its coordinator's (and its heartbeats then arrive); a node
 * given another network says so, and so does the coordinator. The CLI lines
 * are checked with real processes at the end.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { CoordinatorDaemon } from '../../coordinator/daemon.ts'
import { NodeDaemon } from '../../node/daemon.ts'
import { networkFromProtocols, networkMarkerProtocol } from '../../src/p2p/topics.ts'
import type { StatusMessage } from '../../src/wire/messages.ts'
import { eventually, startCoordinator, startNode } from '../swarm/helpers/processes.ts'

function tempHome (t: { teardown: (fn: () => void) => void }, label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mdswarm-network-${label}-`))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  return dir
}

test('the network marker protocol names the network and nothing else', t => {
  t.is(networkFromProtocols(['/ipfs/id/1.0.0', networkMarkerProtocol('mylab'), '/mdswarm/default/kad/1.0.0']), 'mylab')
  t.is(networkFromProtocols(['/ipfs/id/1.0.0', '/mdswarm/mylab/kad/1.0.0']), undefined)
  t.is(networkFromProtocols(['/mdswarm/../network/1.0.0']), undefined)
})

test('a node without --network joins its coordinator\'s network; one given another is reported on both sides', async t => {
  const root = tempHome(t, 'daemons')
  const coordinator = await CoordinatorDaemon.start({ home: path.join(root, 'coordinator'), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'mylab' })
  t.teardown(async () => { await coordinator.stop() })
  const heartbeatsFrom = new Set<string>()
  const noteStatus = coordinator.peers.noteStatus.bind(coordinator.peers)
  coordinator.peers.noteStatus = (peerId: string, status: StatusMessage) => { heartbeatsFrom.add(peerId); noteStatus(peerId, status) }
  const coordinatorMismatches: Array<{ peerId: string, network: string }> = []
  coordinator.on('network-mismatch', e => { coordinatorMismatches.push(e) })
  const address = coordinator.multiaddrs[0]

  const learner = await NodeDaemon.create({ home: path.join(root, 'learner'), coordinator: address, concurrency: 1, heartbeatIntervalMs: 200 })
  t.teardown(async () => { await learner.stop() })
  const adopted: Array<{ from: string, to: string }> = []
  learner.on('network-adopted', e => { adopted.push(e) })
  t.is(learner.network, 'default')

  const stubborn = await NodeDaemon.create({ home: path.join(root, 'stubborn'), coordinator: address, concurrency: 1, network: 'other', heartbeatIntervalMs: 200 })
  t.teardown(async () => { await stubborn.stop() })
  const nodeMismatches: Array<{ network: string, coordinatorNetwork: string }> = []
  stubborn.on('network-mismatch', e => { nodeMismatches.push(e) })

  await learner.begin()
  await stubborn.begin()
  await eventually('the learner to take the coordinator\'s network', async () => adopted.length > 0 ? true : undefined, 30_000, 100)
  t.deepEqual(adopted, [{ from: 'default', to: 'mylab' }])
  t.is(learner.network, 'mylab')
  await eventually('the learner\'s heartbeats to reach the coordinator', async () => heartbeatsFrom.has(learner.peerId) ? true : undefined, 30_000, 100)

  await eventually('the node with --network other to notice', async () => nodeMismatches.length > 0 ? true : undefined, 30_000, 100)
  t.deepEqual(nodeMismatches, [{ network: 'other', coordinatorNetwork: 'mylab' }])
  t.is(stubborn.network, 'other', 'a network that was given is never switched')
  await eventually('the coordinator to log the node on another network', async () => coordinatorMismatches.length > 0 ? true : undefined, 30_000, 100)
  t.deepEqual(coordinatorMismatches, [{ peerId: stubborn.peerId, network: 'other' }], 'the node that switched is not reported')
  t.false(heartbeatsFrom.has(stubborn.peerId), 'heartbeats on another network never arrive')
})

test('CLI: the node prints the network it joined, or one line about the mismatch; the coordinator logs it', async t => {
  const root = tempHome(t, 'cli')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'), { args: ['--network', 'mylab', '--no-dashboard'] })
  const [learner, stubborn] = await Promise.all([
    startNode(t, path.join(root, 'learner'), coordinator.address, { name: 'learner' }),
    startNode(t, path.join(root, 'stubborn'), coordinator.address, { name: 'stubborn', args: ['--network', 'other'] })
  ])
  const adopted = JSON.parse(await learner.proc.waitForLine(/"event":"network-adopted"/, 30_000)) as { from: string, to: string }
  t.like(adopted, { from: 'default', to: 'mylab' })
  const mismatch = JSON.parse(await stubborn.proc.waitForLine(/"event":"network-mismatch"/, 30_000)) as { network: string, coordinatorNetwork: string }
  t.like(mismatch, { network: 'other', coordinatorNetwork: 'mylab' })
  const logged = await coordinator.proc.waitForLine(/is on network 'other'/, 30_000)
  t.true(logged.includes(stubborn.peerId) && logged.includes('--network mylab'), logged)
  t.false(coordinator.proc.stdoutLines.some(line => line.includes(learner.peerId)), 'the node that switched is not reported')

  // Without --json, one plain line says what to do.
  const plain = await import('../swarm/helpers/processes.ts').then(m => m.spawnCli(t, 'mdswarm-node', ['start', '--coordinator', coordinator.address, '--home', path.join(root, 'plain'), '--concurrency', '1', '--network', 'other'], 'plain'))
  const line = await plain.waitForLine(/runs 'mylab'/, 30_000)
  t.regex(line, /restart with --network mylab/)
})
