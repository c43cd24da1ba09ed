/**
 * Garbage, truncated and oversized messages on every protocol of a running
 * swarm (claim, blob, frames and control on the coordinator; the gossip
 * topics both daemons listen to): each is refused, both daemons stay up,
 * nothing is stored, and the swarm still runs a job afterwards.
 */
import test from 'ava'
import path from 'node:path'
import { randomBytes } from 'node:crypto'
import { encode } from 'cborg'
import { connect } from '../../src/client/index.ts'
import { BLOB_MAX_MESSAGE_BYTES, BLOB_PROTOCOL, CLAIM_MAX_MESSAGE_BYTES, CLAIM_PROTOCOL, CONTROL_MAX_MESSAGE_BYTES, CONTROL_PROTOCOL, FRAMES_MAX_MESSAGE_BYTES, FRAMES_PROTOCOL } from '../../src/wire/constants.ts'
import { sha256Hex } from '../../src/wire/hash.ts'
import { offersTopic, statusTopic } from '../../src/p2p/topics.ts'
import { parseMultiaddr } from '../../src/p2p/create-peer.ts'
import { eventually, startCoordinator, startNode, tempDir } from './helpers/processes.ts'
import { ala2Inputs } from './helpers/inputs.ts'
import { concat, framed, rawExchange, startRawPeer, varint } from './helpers/raw-peer.ts'
import { assertFramesMatchReference, collect, referenceFrames } from './helpers/trajectory-check.ts'

const PROTOCOLS = [
  { protocol: CLAIM_PROTOCOL, maxBytes: CLAIM_MAX_MESSAGE_BYTES, refusal: (r: any) => r?.type === 'refused' && r.code === 'bad-request' },
  { protocol: BLOB_PROTOCOL, maxBytes: BLOB_MAX_MESSAGE_BYTES, refusal: (r: any) => r?.type === 'error' },
  { protocol: FRAMES_PROTOCOL, maxBytes: FRAMES_MAX_MESSAGE_BYTES, refusal: (r: any) => r?.type === 'nack' && r.code === 'bad-request' },
  { protocol: CONTROL_PROTOCOL, maxBytes: CONTROL_MAX_MESSAGE_BYTES, refusal: (r: any) => r?.type === 'error' }
]

const someHash = sha256Hex(new Uint8Array([1, 2, 3]))

/** Messages that decode as CBOR but break the schema. */
const MALFORMED: Array<[string, unknown]> = [
  ['unknown type', { type: 'steal-everything' }],
  ['wrong field types', { type: 'claim', capabilities: 'all of them', unitId: 7 }],
  ['unknown extra field', { type: 'get', hash: someHash, evil: true }],
  ['not a map', [1, 2, 3]],
  ['huge number', { type: 'renew', leases: [{ unitId: 'u', attempt: 2 ** 60, step: -1 }] }]
]

test('bad messages on every protocol are refused, the daemons stay up and nothing is stored', async t => {
  const root = tempDir(t, 'garbage')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))
  const node = await startNode(t, path.join(root, 'node'), coordinator.address, { name: 'node' })
  const nodeAddress = (node.proc.events().find(e => e.event === 'started')!.multiaddrs as string[])[0]
  const peer = await startRawPeer(t)

  for (const { protocol, maxBytes, refusal } of PROTOCOLS) {
    // Not CBOR at all.
    const garbage = await rawExchange(peer, coordinator.address, protocol, framed(Uint8Array.from(randomBytes(64).map(b => b | 0x1c))))
    t.true(refusal(garbage.response) || garbage.error !== undefined, `${protocol} garbage: ${JSON.stringify(garbage)}`)
    // Valid CBOR, invalid messages.
    for (const [label, message] of MALFORMED) {
      const answer = await rawExchange(peer, coordinator.address, protocol, framed(encode(message)))
      t.true(refusal(answer.response), `${protocol} ${label}: ${JSON.stringify(answer)}`)
    }
    // NaN where a number belongs (encoded by hand: CBOR half-float NaN 0xf97e00).
    const withNaN = concat(Uint8Array.from([0xa2, 0x64]), new TextEncoder().encode('type'), Uint8Array.from([0x64]), new TextEncoder().encode('ping'), Uint8Array.from([0x61, 0x6e, 0xf9, 0x7e, 0x00]))
    const nan = await rawExchange(peer, coordinator.address, protocol, framed(withNaN))
    t.true(refusal(nan.response), `${protocol} NaN: ${JSON.stringify(nan)}`)
    // Truncated: the prefix promises 1000 bytes, 10 arrive, then the stream ends.
    const truncated = await rawExchange(peer, coordinator.address, protocol, concat(varint(1000), new Uint8Array(10)))
    t.true(truncated.response === null, `${protocol} truncated: ${JSON.stringify(truncated)}`)
    // Oversized: a length over the protocol's limit is refused before the body is read.
    const oversized = await rawExchange(peer, coordinator.address, protocol, concat(varint(maxBytes + 1), new Uint8Array(1024)))
    t.true(refusal(oversized.response) || oversized.error !== undefined || oversized.response === null, `${protocol} oversized: ${JSON.stringify(oversized)}`)
    const brief = (x: { response: unknown, error?: string }): string => x.error ?? JSON.stringify(x.response)?.slice(0, 90) ?? 'null'
    t.log(`${protocol}: garbage → ${brief(garbage)}; truncated → ${brief(truncated)}; oversized → ${brief(oversized)}`)
  }

  // Well-formed requests the sender has no right to make.
  const fakeUnit = 'j000000000.0'
  const putBytes = new Uint8Array([9, 9, 9])
  const claimComplete = await rawExchange(peer, coordinator.address, CLAIM_PROTOCOL, framed(encode({ type: 'complete', unitId: fakeUnit, attempt: 1, checkpointHash: someHash, frames: 1 })))
  t.is((claimComplete.response as any)?.type, 'refused')
  const blobPut = await rawExchange(peer, coordinator.address, BLOB_PROTOCOL, framed(encode({ type: 'put', hash: sha256Hex(putBytes), bytes: putBytes, unitId: fakeUnit, attempt: 1 })))
  t.is((blobPut.response as any)?.type, 'error')
  const mismatched = await rawExchange(peer, coordinator.address, BLOB_PROTOCOL, framed(encode({ type: 'put', hash: someHash, bytes: putBytes, unitId: fakeUnit, attempt: 1 })))
  t.is((mismatched.response as any)?.type, 'error')
  const chunk = await rawExchange(peer, coordinator.address, FRAMES_PROTOCOL, framed(encode({ type: 'chunk', unitId: fakeUnit, attempt: 1, firstFrame: 0, frameCount: 1, data: new Uint8Array(100) })))
  t.is((chunk.response as any)?.type, 'nack')

  // The node serves none of the coordinator's protocols.
  const onNode = await rawExchange(peer, nodeAddress, CLAIM_PROTOCOL, framed(encode({ type: 'claim' })))
  t.truthy(onNode.error, 'the node must not accept claim streams')

  // Gossip nobody should believe: garbage, oversized, and a well-formed offer from a peer that is not the coordinator.
  await peer.dial(parseMultiaddr(nodeAddress))
  peer.services.pubsub.subscribe(offersTopic('default'))
  peer.services.pubsub.subscribe(statusTopic('default'))
  await new Promise(resolve => setTimeout(resolve, 1500))
  for (const topic of [offersTopic('default'), statusTopic('default')]) {
    await peer.services.pubsub.publish(topic, Uint8Array.from(randomBytes(200)))
    await peer.services.pubsub.publish(topic, encode({ type: 'status', role: 'node', running: [], nsPerDay: 1, sentAt: 1, extra: 'x'.repeat(100_000) }))
  }
  await peer.services.pubsub.publish(offersTopic('default'), encode({ type: 'offer', unitId: fakeUnit, jobId: 'j000000000', requirements: { engine: 'builtin', forceTypes: [] }, steps: 10, atoms: 22, priority: 0 }))

  // Both daemons are still up, nothing was stored, and the swarm still works.
  await new Promise(resolve => setTimeout(resolve, 500))
  t.true(coordinator.proc.alive, coordinator.proc.tail())
  t.true(node.proc.alive, node.proc.tail())
  // The coordinator's own home: its client key is the first allowed submitter.
  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  t.deepEqual(await client.jobs(), [])
  await t.throwsAsync(client.fetchBlob(sha256Hex(putBytes)))
  t.true(node.proc.events().every(e => e.event !== 'unit-started'), 'the fake offer must not start anything')

  const [job] = await client.submit({ ...ala2Inputs(), steps: 200, reportEvery: 20, seed: 3 })
  const [done] = await client.waitAll([job])
  t.is(done.state, 'done')
  assertFramesMatchReference(t, 'job after the garbage', await collect(job.frames()), referenceFrames(done.seed, 200, 20))
  await eventually('both daemons to be alive', async () => coordinator.proc.alive && node.proc.alive ? true : undefined, 1000)
})
