/**
 * Garbage on the protocols js-libp2p itself serves on our daemons (identify,
 * ping, the DHT, gossipsub's meshsub and floodsub), which the mdswarm
 * protocol fuzzer (fuzz.test.ts) does not speak: random bytes, bytes behind a
 * plausible length prefix, a length prefix announcing gigabytes, truncated
 * and oversized messages, on a real coordinator and node process. Neither
 * daemon crashes, memory stays bounded, and afterwards both still answer a
 * ping and the coordinator its owner's requests.
 */
import test from 'ava'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { connect } from '../../src/client/index.ts'
import { createPeer, parseMultiaddr, type MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { BLOB_PROTOCOL, CLAIM_PROTOCOL, CONTROL_PROTOCOL, FRAMES_PROTOCOL } from '../../src/wire/constants.ts'
import { FuzzRandom } from '../../scripts/fuzz/protocol-fuzzer.ts'
import { startCoordinator, startNode, tempDir } from '../swarm/helpers/processes.ts'
import { assertDaemonsSurvived, daemonMemory } from './helpers/daemon-health.ts'
import { concat, varint } from '../swarm/helpers/raw-peer.ts'

/** Streams per protocol and daemon. */
const CASES_PER_PROTOCOL = 120
const OURS = new Set<string>([CLAIM_PROTOCOL, BLOB_PROTOCOL, FRAMES_PROTOCOL, CONTROL_PROTOCOL])


/** One hostile payload for a length-prefixed protobuf protocol (what identify, the DHT and meshsub speak). */
function hostilePayload (r: FuzzRandom): Uint8Array {
  switch (r.int(6)) {
    case 0: return r.bytes(r.int(2048))
    case 1: { const body = r.bytes(r.int(4096)); return concat(varint(body.byteLength), body) }
    case 2: return concat(varint(2 ** 31 + r.int(1000)), r.bytes(r.int(64))) // announces gigabytes
    case 3: { const body = r.bytes(100 + r.int(400)); return concat(varint(body.byteLength), body.subarray(0, r.int(body.byteLength))) } // truncated
    case 4: { const body = r.bytes(200_000 + r.int(300_000)); return concat(varint(body.byteLength), body) } // oversized
    default: return concat(...Array.from({ length: 1 + r.int(20) }, () => { const b = r.bytes(r.int(300)); return concat(varint(b.byteLength), b) }))
  }
}

/** The protocols `peer` learned (by identify) that `address` serves. */
async function protocolsOf (peer: MdswarmPeer, address: string): Promise<string[]> {
  const remote = peerIdFromString(address.slice(address.lastIndexOf('/p2p/') + 5))
  await peer.dial(parseMultiaddr(address), { signal: AbortSignal.timeout(10_000) })
  const deadline = Date.now() + 10_000
  for (;;) {
    const protocols = (await peer.peerStore.get(remote).catch(() => null))?.protocols ?? []
    if (protocols.length > 0 || Date.now() > deadline) return protocols
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** Streams opened, and attempts that ended in an error (a refused stream, or one the daemon reset: both are fine). */
async function fuzzProtocol (peer: MdswarmPeer, address: string, protocol: string, r: FuzzRandom): Promise<{ opened: number, errors: number }> {
  let opened = 0
  let errors = 0
  const work = Array.from({ length: CASES_PER_PROTOCOL }, (_, i) => i)
  const worker = async (): Promise<void> => {
    for (let i = work.pop(); i !== undefined; i = work.pop()) {
      const signal = AbortSignal.timeout(10_000)
      try {
        const stream = await peer.dialProtocol(parseMultiaddr(address), protocol, { signal })
        opened++
        const payload = hostilePayload(r)
        if (!stream.send(payload)) await stream.onDrain({ signal })
        if (r.next() < 0.5) await stream.close({ signal })
        else stream.abort(new Error('fuzz: gone'))
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: 4 }, worker))
  return { opened, errors }
}

test('garbage on every libp2p protocol the daemons serve (identify, ping, DHT, gossipsub): no crash, bounded memory, both still answer', async t => {
  t.timeout(4 * 60_000)
  const root = tempDir(t, 'libp2p-fuzz')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))
  const node = await startNode(t, path.join(root, 'node'), coordinator.address, { name: 'node' })
  const nodeAddress = (node.proc.events().find(e => e.event === 'started')!.multiaddrs as string[])[0]
  const peer = await createPeer({ privateKey: await generateKeyPair('Ed25519'), network: 'default', role: 'client' })
  t.teardown(async () => { await peer.stop() })
  const r = new FuzzRandom(7)

  const before = daemonMemory(coordinator, node)
  for (const [label, address] of [['coordinator', coordinator.address], ['node', nodeAddress]] as const) {
    const protocols = (await protocolsOf(peer, address)).filter(p => !OURS.has(p))
    t.log(`${label} serves ${protocols.join(', ')}`)
    for (const expected of ['/ipfs/id/1.0.0', '/ipfs/ping/1.0.0']) t.true(protocols.includes(expected), `${label} lacks ${expected}`)
    t.true(protocols.some(p => p.includes('/kad/')), `${label} serves no DHT protocol`)
    t.true(protocols.some(p => p.startsWith('/meshsub/')), `${label} serves no gossipsub protocol`)
    for (const protocol of protocols) {
      const { opened, errors } = await fuzzProtocol(peer, address, protocol, r)
      t.log(`${label} ${protocol}: ${CASES_PER_PROTOCOL} attempts, ${opened} streams opened, ${errors} refused or reset (fine)`)
      t.true(opened > 0, `no stream of ${protocol} could be opened on the ${label}`)
    }
  }

  await assertDaemonsSurvived(t, coordinator, node, before, { coordinator: 200, node: 200 })

  // Both still answer: a ping from a newcomer, and the owner's requests.
  const probe = await createPeer({ privateKey: await generateKeyPair('Ed25519'), network: 'default', role: 'client' })
  t.teardown(async () => { await probe.stop() })
  for (const address of [coordinator.address, nodeAddress]) {
    const rttMs = await probe.services.ping.ping(parseMultiaddr(address), { signal: AbortSignal.timeout(10_000) })
    t.true(rttMs >= 0)
  }
  const owner = await connect({ coordinator: coordinator.address, home: coordinator.home })
  try {
    t.deepEqual(await owner.jobs(), [])
    const peers = await owner.peers()
    t.true(peers.some(p => p.peerId === node.peerId), 'the node is still connected to the coordinator')
  } finally {
    await owner.close()
  }
})
