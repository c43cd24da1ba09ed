/**
 * Over 10,000 random, truncated, oversized, corrupted and unauthorised
 * messages on every protocol of a running swarm (real coordinator and node
 * processes): claim, blob, frames and control streams on the coordinator,
 * the offers and status gossip topics on both. Neither daemon crashes, both
 * keep their memory bounded, every protocol still answers afterwards, and
 * nothing was stored. More: `npx tsx scripts/fuzz-soak.ts --messages 200000`.
 */
import test from 'ava'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { encode } from 'cborg'
import { connect } from '../../src/client/index.ts'
import { createPeer, type MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { BLOB_PROTOCOL, CLAIM_PROTOCOL, CONTROL_PROTOCOL, FRAMES_PROTOCOL } from '../../src/wire/constants.ts'
import { CoordinatorStore } from '../../coordinator/store/coordinator-store.ts'
import { COORDINATOR_DB_DIR } from '../../coordinator/daemon.ts'
import { runProtocolFuzz, FUZZED_STREAM_PROTOCOLS } from '../../scripts/fuzz/protocol-fuzzer.ts'
import { startCoordinator, startNode, tempDir } from '../swarm/helpers/processes.ts'
import { assertDaemonsSurvived, daemonMemory } from './helpers/daemon-health.ts'
import { framed, rawExchange } from '../swarm/helpers/raw-peer.ts'

const MESSAGES = 10_000
const FUZZ_PEERS = 4


async function fuzzPeers (count: number): Promise<MdswarmPeer[]> {
  return await Promise.all(Array.from({ length: count }, async () => await createPeer({ privateKey: await generateKeyPair('Ed25519'), network: 'default', role: 'client' })))
}

test('10,000 hostile messages on every protocol: no crash, bounded memory, nothing stored', async t => {
  t.timeout(5 * 60_000)
  const root = tempDir(t, 'fuzz')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))
  const node = await startNode(t, path.join(root, 'node'), coordinator.address, { name: 'node' })
  const nodeAddress = (node.proc.events().find(e => e.event === 'started')!.multiaddrs as string[])[0]
  const peers = await fuzzPeers(FUZZ_PEERS)
  t.teardown(async () => { await Promise.all(peers.map(async p => { await p.stop() })) })

  // One fuzz peer is an allowed (non-admin) submitter, so the control handler's inner paths are fuzzed too.
  const admin = await connect({ coordinator: coordinator.address, home: coordinator.home })
  try {
    await admin.allowClient(peers[0].peerId.toString())
  } finally {
    await admin.close()
  }

  const target = { coordinator: coordinator.address, gossipTargets: [nodeAddress] }
  await runProtocolFuzz(target, { messages: 400, peers, seed: 1 })
  const before = daemonMemory(coordinator, node)

  const stats = await runProtocolFuzz(target, { messages: MESSAGES, peers, seed: 2 })
  t.log(`sent ${stats.messages} messages on ${stats.streams} streams: ${JSON.stringify(stats.byProtocol)}`)
  t.log(`responses ${JSON.stringify(stats.responses)}; ${stats.streamErrors} streams reset or refused`)
  t.true(stats.messages >= MESSAGES)
  for (const protocol of [...FUZZED_STREAM_PROTOCOLS, 'gossip'] as const) t.true(stats.byProtocol[protocol] > 0, `nothing sent on ${protocol}`)
  // Valid-looking messages were answered, and refused, on every protocol.
  t.true((stats.responses['claim:refused'] ?? 0) + (stats.responses['claim:renewed'] ?? 0) > 100)
  t.true((stats.responses['blob:error'] ?? 0) > 100)
  t.true((stats.responses['frames:nack'] ?? 0) > 100)
  t.true((stats.responses['control:error'] ?? 0) > 100)
  t.is(stats.responses['frames:ack'] ?? 0, 0, 'no chunk from a fuzz peer was accepted')
  t.is(stats.responses['blob:stored'] ?? 0, 0, 'no blob from a fuzz peer was stored')
  t.is(stats.responses['control:submitted'] ?? 0, 0)
  t.is(stats.responses['control:blob-stored'] ?? 0, 0)

  await assertDaemonsSurvived(t, coordinator, node, before, { coordinator: 200, node: 100 })

  // Every protocol still answers a well-formed request from a newcomer.
  const [probe] = await fuzzPeers(1)
  t.teardown(async () => { await probe.stop() })
  const claim = await rawExchange(probe, coordinator.address, CLAIM_PROTOCOL, framed(encode({ type: 'renew', leases: [] })))
  t.is((claim.response as { type?: string })?.type, 'renewed', JSON.stringify(claim))
  const blob = await rawExchange(probe, coordinator.address, BLOB_PROTOCOL, framed(encode({ type: 'get', hash: 'a'.repeat(64) })))
  t.is((blob.response as { type?: string })?.type, 'error', JSON.stringify(blob))
  const frames = await rawExchange(probe, coordinator.address, FRAMES_PROTOCOL, framed(encode({ type: 'chunk', unitId: 'j0.0', attempt: 1, firstFrame: 0, frameCount: 1, data: new Uint8Array(40) })))
  t.is((frames.response as { type?: string })?.type, 'nack', JSON.stringify(frames))
  const control = await rawExchange(probe, coordinator.address, CONTROL_PROTOCOL, framed(encode({ type: 'jobs' })))
  t.is((control.response as { name?: string })?.name, 'ClientNotAllowedError', JSON.stringify(control))
  const owner = await connect({ coordinator: coordinator.address, home: coordinator.home })
  try {
    t.deepEqual(await owner.jobs(), [])
  } finally {
    await owner.close()
  }

  // Stop the coordinator cleanly and look inside its database: nothing but the allow-list.
  coordinator.proc.kill('SIGTERM')
  await coordinator.proc.exited
  const store = await CoordinatorStore.open(path.join(coordinator.home, COORDINATOR_DB_DIR))
  try {
    for (const name of ['jobs', 'units', 'ready', 'leases', 'chunks', 'blobs', 'events'] as const) {
      let count = 0
      for await (const _ of store[name].keys()) count++
      t.is(count, 0, `the coordinator stored ${count} ${name} records from the fuzz`)
    }
  } finally {
    await store.close()
  }
  t.true(node.proc.alive, node.proc.tail())
})
