import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createPeer } from '../../src/p2p/create-peer.ts'
import type { MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey, peerIdStringOf } from '../../src/p2p/identity.ts'
import { resolveHome } from '../../src/p2p/home.ts'
import { offersTopic } from '../../src/p2p/topics.ts'
import { publishGossip, subscribeGossip } from '../../src/p2p/gossip.ts'
import { generateSwarmKey, parseSwarmKey } from '../../src/p2p/swarm-key.ts'
import { CLAIM_PROTOCOL } from '../../src/wire/constants.ts'
import { request } from '../../src/wire/framing.ts'
import { serveStream } from '../../src/wire/serve.ts'
import { validateClaimRequest, validateClaimResponse, validateOfferMessage } from '../../src/wire/validate.ts'
import type { ClaimRequest, ClaimResponse, OfferMessage } from '../../src/wire/messages.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-p2p-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

const capabilities = { engines: { builtin: { version: '0.1.0', platforms: ['cpu'], forceTypes: ['HarmonicBondForce'] } }, concurrency: 2, cpuCores: 4, memoryBytes: 8e9, gpus: [] }

async function twoPeers (t: { teardown: (fn: () => Promise<void>) => void }, swarmKey?: Uint8Array): Promise<[MdswarmPeer, MdswarmPeer]> {
  const a = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(fs.mkdtempSync(path.join(tmp, 'a-')))), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'test', role: 'coordinator', swarmKey })
  t.teardown(async () => { await a.stop() })
  const b = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(fs.mkdtempSync(path.join(tmp, 'b-')))), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'test', role: 'node', swarmKey, bootstrap: a.getMultiaddrs().map(ma => ma.toString()) })
  t.teardown(async () => { await b.stop() })
  return [a, b]
}

test('identity is stable across loads of the same home', async t => {
  const home = resolveHome(path.join(tmp, 'stable'))
  const first = await loadOrCreatePrivateKey(home)
  const second = await loadOrCreatePrivateKey(home)
  t.is(peerIdStringOf(first), peerIdStringOf(second))
  t.is(fs.statSync(path.join(home, 'peer.key')).mode & 0o777, 0o600)
})

test('resolveHome prefers the flag, then MDSWARM_HOME', t => {
  t.is(resolveHome(path.join(tmp, 'flag'), { MDSWARM_HOME: path.join(tmp, 'env') }), path.join(tmp, 'flag'))
  t.is(resolveHome(undefined, { MDSWARM_HOME: path.join(tmp, 'env') }), path.join(tmp, 'env'))
})

test('request/response over a real TCP loopback connection, then a second request on the same stream', async t => {
  const [coordinator, node] = await twoPeers(t)
  const seen: string[] = []
  await coordinator.handle(CLAIM_PROTOCOL, (stream, connection) => serveStream<ClaimRequest>(stream, {
    validate: validateClaimRequest,
    onMessage: (message): ClaimResponse => {
      seen.push(`${message.type} from ${connection.remotePeer.toString()}`)
      return message.type === 'claim' ? { type: 'refused', code: 'no-work', reason: 'queue empty' } : { type: 'ok' }
    },
    onInvalid: err => ({ type: 'refused', code: 'bad-request', reason: err.message })
  }))
  const stream = await node.dialProtocol(coordinator.getMultiaddrs()[0], CLAIM_PROTOCOL)
  const first = await request(stream, { type: 'claim', capabilities }, AbortSignal.timeout(10_000), { validate: validateClaimResponse })
  t.deepEqual(first, { type: 'refused', code: 'no-work', reason: 'queue empty' })
  const second = await request(stream, { type: 'complete', unitId: 'u1', attempt: 1, checkpointHash: 'a'.repeat(64), frames: 10 }, AbortSignal.timeout(10_000), { validate: validateClaimResponse })
  t.deepEqual(second, { type: 'ok' })
  await stream.close()
  t.deepEqual(seen, [`claim from ${node.peerId.toString()}`, `complete from ${node.peerId.toString()}`])
})

test('an invalid request gets the protocol error response, not a crash', async t => {
  const [coordinator, node] = await twoPeers(t)
  await coordinator.handle(CLAIM_PROTOCOL, (stream) => serveStream<ClaimRequest>(stream, {
    validate: validateClaimRequest,
    onMessage: () => ({ type: 'ok' }),
    onInvalid: err => ({ type: 'refused', code: 'bad-request', reason: err.name })
  }))
  const stream = await node.dialProtocol(coordinator.getMultiaddrs()[0], CLAIM_PROTOCOL)
  const response = await request(stream, { type: 'claim', capabilities: { ...capabilities, cpuCores: -1 } }, AbortSignal.timeout(10_000), { validate: validateClaimResponse })
  t.deepEqual(response, { type: 'refused', code: 'bad-request', reason: 'WireFormatError' })
})

test('a gossip offer reaches a subscribed peer, signed by its sender', async t => {
  const [coordinator, node] = await twoPeers(t)
  const topic = offersTopic('test')
  const received = new Promise<{ offer: OfferMessage, from: string }>(resolve => {
    subscribeGossip(node, topic, { validate: validateOfferMessage, onMessage: (offer, from) => { resolve({ offer, from }) } })
  })
  coordinator.services.pubsub.subscribe(topic)
  const offer: OfferMessage = { type: 'offer', unitId: 'u1', jobId: 'j1', requirements: { engine: 'builtin', forceTypes: ['HarmonicBondForce'] }, steps: 1000, atoms: 22, priority: 0 }
  // Gossip is a hint: publish until the subscription has propagated.
  const timer = setInterval(() => { publishGossip(coordinator, topic, offer).catch(() => {}) }, 100)
  t.teardown(() => { clearInterval(timer) })
  const { offer: got, from } = await received
  clearInterval(timer)
  t.deepEqual(got, offer)
  t.is(from, coordinator.peerId.toString())
})

test('peers with different swarm keys cannot connect', async t => {
  const a = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(path.join(tmp, 'pa'))), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'test', role: 'coordinator', swarmKey: generateSwarmKey() })
  t.teardown(async () => { await a.stop() })
  const b = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(path.join(tmp, 'pb'))), network: 'test', role: 'node', swarmKey: generateSwarmKey() })
  t.teardown(async () => { await b.stop() })
  // Refused (EncryptionFailedError) or, under load, a timeout: either way no connection.
  const outcome = await b.dial(a.getMultiaddrs()[0], { signal: AbortSignal.timeout(5000) }).then(() => 'connected', () => 'refused')
  t.is(outcome, 'refused')
})

test('peers with the same swarm key connect', async t => {
  const key = generateSwarmKey()
  const [a, b] = await twoPeers(t, key)
  const rtt = await b.services.ping.ping(a.getMultiaddrs()[0])
  t.true(rtt >= 0)
})

test('gossip: oversized messages are refused before publishing; invalid ones never reach the handler', async t => {
  const [coordinator, node] = await twoPeers(t)
  const topic = offersTopic('test')
  await t.throwsAsync(publishGossip(coordinator, topic, { type: 'offer', junk: new Uint8Array(65 * 1024) }), { name: 'MessageTooLargeError' })
  const delivered: OfferMessage[] = []
  const rejected = new Promise<string>(resolve => {
    subscribeGossip(node, topic, { validate: validateOfferMessage, onMessage: offer => { delivered.push(offer) }, onInvalid: err => { resolve(err.name) } })
  })
  coordinator.services.pubsub.subscribe(topic)
  const timer = setInterval(() => { publishGossip(coordinator, topic, { type: 'offer', unitId: 'u1', steps: -1, nonce: Math.random() }).catch(() => {}) }, 100)
  t.teardown(() => { clearInterval(timer) })
  t.is(await rejected, 'WireFormatError')
  clearInterval(timer)
  t.deepEqual(delivered, [])
})

test('swarm keys: generated keys parse; malformed ones are SwarmKeyError', t => {
  const key = generateSwarmKey()
  t.is(parseSwarmKey(key).byteLength, 95)
  t.is(t.throws(() => parseSwarmKey(new TextEncoder().encode('/key/swarm/psk/1.0.0/\n/base16/\nnothex')))?.name, 'SwarmKeyError')
})

test('createPeer refuses a bad network name and a bad listen address', async t => {
  const privateKey = await loadOrCreatePrivateKey(resolveHome(path.join(tmp, 'bad')))
  await t.throwsAsync(createPeer({ privateKey, network: 'a b/c', role: 'node' }), { name: 'InvalidNetworkNameError' })
  await t.throwsAsync(createPeer({ privateKey, network: 'ok', role: 'node', listen: ['not-an-address'] }), { name: 'InvalidMultiaddrError' })
})
