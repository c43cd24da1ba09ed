/**
 * Peers that speak the protocols correctly but have no right to what they
 * ask (real coordinator and node processes; the rogues are libp2p peers in
 * this test process):
 * - a rogue publishing offers on the topic: the node ignores and counts them;
 * - a peer uploading frames (or a checkpoint) for a unit it does not hold, or
 *   for an attempt that was superseded after a requeue: refused, logged by
 *   the coordinator, nothing stored; results with NaN or absurd energies are
 *   refused even from the holder; the holder's good frames are stored.
 */
import test, { type ExecutionContext } from 'ava'
import path from 'node:path'
import { crc32 } from 'node:zlib'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { connect } from '../../src/client/index.ts'
import { createPeer, parseMultiaddr, type MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { offersTopic } from '../../src/p2p/topics.ts'
import { sendRequest } from '../../src/p2p/request.ts'
import { encodeMessage } from '../../src/wire/cbor.ts'
import { encodeFrames } from '../../src/trajectory/index.ts'
import { sha256Hex } from '../../src/wire/hash.ts'
import { BLOB_PROTOCOL, CLAIM_PROTOCOL, FRAMES_PROTOCOL } from '../../src/wire/constants.ts'
import { validateBlobResponse, validateChunkAck, validateClaimResponse } from '../../src/wire/validate.ts'
import type { BlobResponse, Capabilities, ChunkAck, ChunkMessage, ClaimResponse } from '../../src/wire/messages.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { eventually, startCoordinator, startNode, tempDir } from '../swarm/helpers/processes.ts'
import { ala2Inputs } from '../swarm/helpers/inputs.ts'

const ALA2_ATOMS = 22
const REPORT_EVERY = 20

const capabilities: Capabilities = {
  engines: { builtin: { version: 'test', platforms: ['CPU'], forceTypes: ['HarmonicBondForce', 'HarmonicAngleForce', 'PeriodicTorsionForce', 'NonbondedForce', 'CMMotionRemover'] } },
  concurrency: 1,
  cpuCores: 1,
  memoryBytes: 2 ** 30,
  gpus: []
}

async function rogue (t: ExecutionContext): Promise<MdswarmPeer> {
  const peer = await createPeer({ privateKey: await generateKeyPair('Ed25519'), network: 'default', role: 'node' })
  t.teardown(async () => { await peer.stop() })
  return peer
}

/** A coordinate no frame holds, swapped for NaN by withNaN. */
const NAN_MARKER = 1234.5

/**
 * A forged chunk: NAN_MARKER's float32 bytes (a chunk this small stores its
 * coordinates as plain float32) replaced by a NaN, with the CRC32 fixed, as a
 * rogue node would craft it (the codec itself refuses to encode NaN).
 */
function withNaN (chunk: Uint8Array): Uint8Array {
  const out = chunk.slice()
  const marker = new Uint8Array(Float32Array.of(NAN_MARKER).buffer)
  const nan = new Uint8Array(Float32Array.of(Number.NaN).buffer)
  for (let at = 0; at + 4 <= out.length - 4; at++) {
    if (marker.every((b, k) => out[at + k] === b)) out.set(nan, at)
  }
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true)
  return out
}

function frames (firstFrame: number, count: number, tweak: (frame: Frame) => Frame = f => f): Uint8Array {
  return encodeFrames(Array.from({ length: count }, (_, k) => tweak({
    step: (firstFrame + k + 1) * REPORT_EVERY,
    timePs: (firstFrame + k + 1) * REPORT_EVERY * 0.002,
    positionsNm: Float32Array.from({ length: 3 * ALA2_ATOMS }, (_, i) => 0.1 * (i % 17)),
    box: null,
    potentialEnergy: -40,
    kineticEnergy: 25,
    temperatureK: 300
  })), { lossless: true })
}

test('offers from a peer that is not the coordinator are ignored and counted by the node', async t => {
  const root = tempDir(t, 'rogue-offers')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'))
  const node = await startNode(t, path.join(root, 'node'), coordinator.address, { name: 'node' })
  const nodeAddress = (node.proc.events().find(e => e.event === 'started')!.multiaddrs as string[])[0]
  const peer = await rogue(t)
  await peer.dial(parseMultiaddr(nodeAddress))
  peer.services.pubsub.subscribe(offersTopic('default'))
  await eventually('the rogue to join the node\'s offers mesh', async () => peer.services.pubsub.getSubscribers(offersTopic('default')).length > 0 ? true : undefined, 20_000, 200)
  const offer = { type: 'offer', unitId: 'j0123456789.0', jobId: 'j0123456789', requirements: { engine: 'builtin', forceTypes: [] }, steps: 100, atoms: 22, priority: 9 }
  for (let i = 0; i < 5; i++) {
    await peer.services.pubsub.publish(offersTopic('default'), encodeMessage({ ...offer, priority: i }))
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  const ignored = await eventually('the node to report ignored offers', async () => node.proc.events().find(e => e.event === 'offers-ignored'), 20_000, 200)
  t.is(ignored.from, peer.peerId.toString())
  t.true(node.proc.events().every(e => e.event !== 'unit-started'))
  t.true(node.proc.alive)
})

test('frames and checkpoints from a peer that does not hold the unit, or from a superseded attempt, are refused and nothing is stored', async t => {
  const root = tempDir(t, 'rogue-frames')
  const coordinator = await startCoordinator(t, path.join(root, 'coordinator'), { leaseSeconds: 2 })
  const client = await connect({ coordinator: coordinator.address, home: coordinator.home })
  t.teardown(async () => { await client.close() })
  const [job] = await client.submit({ ...ala2Inputs(), steps: 200, reportEvery: REPORT_EVERY, seed: 1 })

  const holder = await rogue(t)
  const stranger = await rogue(t)
  const address = parseMultiaddr(coordinator.address)
  const claim = async (peer: MdswarmPeer): Promise<ClaimResponse> => await sendRequest(peer, address, CLAIM_PROTOCOL, { type: 'claim', capabilities }, { validate: validateClaimResponse })
  const upload = async (peer: MdswarmPeer, chunk: ChunkMessage): Promise<ChunkAck> => await sendRequest(peer, address, FRAMES_PROTOCOL, chunk, { validate: validateChunkAck })
  const putBlob = async (peer: MdswarmPeer, unitId: string, attempt: number): Promise<BlobResponse> => {
    const bytes = new Uint8Array([1, 2, 3, attempt])
    return await sendRequest(peer, address, BLOB_PROTOCOL, { type: 'put', hash: sha256Hex(bytes), bytes, unitId, attempt }, { validate: validateBlobResponse })
  }

  const first = await claim(holder)
  if (first.type !== 'lease') { t.fail(`expected a lease, got ${JSON.stringify(first)}`); return }
  const unitId = first.lease.unitId
  t.is(first.lease.attempt, 1)

  // A peer that never held the unit.
  const fromStranger = await upload(stranger, { type: 'chunk', unitId, attempt: 1, firstFrame: 0, frameCount: 2, data: frames(0, 2) })
  t.like(fromStranger, { type: 'nack', code: 'not-holder' })
  t.like(await putBlob(stranger, unitId, 1), { type: 'error', code: 'not-holder' })

  // The lease expires (no renewals), the unit is requeued and leased again as attempt 2.
  const second = await eventually('the unit to be leased again after its lease expired', async () => {
    const response = await claim(holder)
    return response.type === 'lease' ? response : undefined
  }, 30_000, 500)
  t.is(second.lease.unitId, unitId)
  t.is(second.lease.attempt, 2)

  // The old attempt is refused, even from the same peer.
  const stale = await upload(holder, { type: 'chunk', unitId, attempt: 1, firstFrame: 0, frameCount: 2, data: frames(0, 2) })
  t.like(stale, { type: 'nack', code: 'stale-attempt' })
  t.like(await putBlob(holder, unitId, 1), { type: 'error', code: 'not-holder' })

  // Results that fail the sanity checks are refused from the holder too.
  const nan = await upload(holder, { type: 'chunk', unitId, attempt: 2, firstFrame: 0, frameCount: 2, data: withNaN(frames(0, 2, f => ({ ...f, positionsNm: f.positionsNm.map((x, i) => i === 5 ? NAN_MARKER : x) }))) })
  t.like(nan, { type: 'nack', code: 'corrupt' })
  const blownUp = await upload(holder, { type: 'chunk', unitId, attempt: 2, firstFrame: 0, frameCount: 2, data: frames(0, 2, f => ({ ...f, potentialEnergy: 1e30 })) })
  t.like(blownUp, { type: 'nack', code: 'corrupt' })
  const infiniteEnergy = await upload(holder, { type: 'chunk', unitId, attempt: 2, firstFrame: 0, frameCount: 2, data: frames(0, 2, f => ({ ...f, kineticEnergy: Number.POSITIVE_INFINITY })) })
  t.like(infiniteEnergy, { type: 'nack', code: 'corrupt' })
  const flung = await upload(holder, { type: 'chunk', unitId, attempt: 2, firstFrame: 0, frameCount: 2, data: frames(0, 2, f => ({ ...f, positionsNm: f.positionsNm.map((x, i) => i === 0 ? 1e7 : x) })) })
  t.like(flung, { type: 'nack', code: 'corrupt' })

  // Nothing was stored by any of that.
  const status = await client.status(job.id)
  t.is(status.job.framesStored, 0)

  // The current holder's good frames are stored.
  t.like(await upload(holder, { type: 'chunk', unitId, attempt: 2, firstFrame: 0, frameCount: 2, data: frames(0, 2) }), { type: 'ack', duplicate: false })
  t.is((await client.status(job.id)).job.framesStored, 2)

  // The coordinator logged each refusal.
  const refusals = coordinator.proc.stdoutLines.filter(line => line.startsWith('refused '))
  t.true(refusals.some(line => line.includes('not-holder') && line.includes(stranger.peerId.toString())), refusals.join('\n'))
  t.true(refusals.some(line => line.includes('stale-attempt') && line.includes(holder.peerId.toString())), refusals.join('\n'))
  t.true(refusals.some(line => line.includes('bad-result')), refusals.join('\n'))
  t.true(coordinator.proc.alive)
})
