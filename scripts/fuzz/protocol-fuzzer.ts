/**
 * A protocol fuzzer for a running swarm: random, truncated, oversized,
 * corrupted and schema-valid-but-unauthorised messages on every stream
 * protocol of the coordinator (claim, blob, frames, control) and on both
 * gossip topics (offers, status) that nodes and the coordinator listen to.
 * Deterministic for a seed. Used by test/security/fuzz.test.ts (about 10^4
 * messages) and scripts/fuzz-soak.ts (as many as you like).
 *
 * @example
 * const stats = await runProtocolFuzz({ coordinator: address, gossipTargets: [nodeAddress] }, { messages: 10_000, peers })
 * console.log(stats.messages, stats.byProtocol)
 */
import type { Stream } from '@libp2p/interface'
import { encode } from 'cborg'
import { parseMultiaddr, type MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { offersTopic, statusTopic } from '../../src/p2p/topics.ts'
import { encodeMessage } from '../../src/wire/cbor.ts'
import { encodeVarint, wireStream } from '../../src/wire/framing.ts'
import { encodeFrames } from '../../src/trajectory/index.ts'
import { sha256Hex } from '../../src/wire/hash.ts'
import { BLOB_PROTOCOL, CLAIM_PROTOCOL, CONTROL_PROTOCOL, FRAMES_PROTOCOL, maxMessageBytesFor } from '../../src/wire/constants.ts'
import { CONTROL_STREAM_MAX_BYTES } from '../../src/client/control-messages.ts'

export const FUZZED_STREAM_PROTOCOLS = [CLAIM_PROTOCOL, BLOB_PROTOCOL, FRAMES_PROTOCOL, CONTROL_PROTOCOL] as const
export type FuzzedProtocol = typeof FUZZED_STREAM_PROTOCOLS[number] | 'gossip'

export interface FuzzTarget {
  /** The coordinator's multiaddr (with /p2p/). */
  readonly coordinator: string
  /** Peers (multiaddrs) whose gossip topics are fuzzed as well, e.g. a node. The coordinator's are always. */
  readonly gossipTargets?: readonly string[]
  readonly network?: string
}

export interface FuzzOptions {
  /** Messages to send in all (stream messages + gossip), at least. */
  readonly messages: number
  /** Peers to send from (round robin); several keep each one under the coordinator's rate limits. */
  readonly peers: readonly MdswarmPeer[]
  /** Streams open at once. */
  readonly concurrency?: number
  readonly seed?: number
  /** Share of messages sent on gossip topics (default 0.05). */
  readonly gossipShare?: number
  /** Schema-valid messages per stream in a batch case (default 16). */
  readonly batch?: number
  readonly onProgress?: (stats: FuzzStats) => void
}

export interface FuzzStats {
  messages: number
  streams: number
  /** Messages sent per protocol. */
  byProtocol: Record<FuzzedProtocol, number>
  /** Responses read, by protocol and response `type` (e.g. claim:refused). */
  responses: Record<string, number>
  /** Streams that ended in a reset or failed to open (expected for hostile input). */
  streamErrors: number
  /** Kinds of cases run. */
  kinds: Record<string, number>
}

/** A deterministic pseudo-random source (LCG). */
export class FuzzRandom {
  private state: number
  constructor (seed: number) { this.state = seed >>> 0 }
  next (): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0
    return this.state / 2 ** 32
  }

  int (max: number): number { return Math.floor(this.next() * max) }
  pick<T> (items: readonly T[]): T { return items[this.int(items.length)] }
  bytes (length: number): Uint8Array {
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i++) out[i] = this.int(256)
    return out
  }

  hex (chars: number): string { let s = ''; for (let i = 0; i < chars; i++) s += '0123456789abcdef'[this.int(16)]; return s }
  string (maxLength: number): string { return 'x'.repeat(this.int(maxLength)) }
}

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.byteLength }
  return out
}

function framed (body: Uint8Array): Uint8Array { return concat(encodeVarint(body.byteLength), body) }

const CAPABILITIES = {
  engines: { builtin: { version: '0.1.0', platforms: ['CPU'], forceTypes: ['HarmonicBondForce', 'HarmonicAngleForce', 'PeriodicTorsionForce', 'NonbondedForce'] } },
  concurrency: 1,
  cpuCores: 2,
  memoryBytes: 2 ** 30,
  gpus: [] as unknown[]
}

function unitId (r: FuzzRandom): string { return r.next() < 0.5 ? `j${r.hex(10)}.${r.int(4)}` : r.string(40) }

function chunkData (r: FuzzRandom): Uint8Array {
  const atoms = 1 + r.int(30)
  const frames = Array.from({ length: 1 + r.int(3) }, (_, k) => ({
    step: (k + 1) * 10,
    timePs: (k + 1) * 0.02,
    positionsNm: Float32Array.from({ length: 3 * atoms }, () => r.next() * 3),
    box: null,
    potentialEnergy: r.next() < 0.1 ? 1e300 : -100 * r.next(),
    kineticEnergy: 30 * r.next(),
    temperatureK: 300
  }))
  const data = encodeFrames(frames)
  if (r.next() < 0.3) data[r.int(data.byteLength)] ^= 1 + r.int(255)
  return data
}

/** A message the protocol's schema accepts, which the sender has no right to make (or that finds nothing). */
function validMessage (protocol: string, r: FuzzRandom): Record<string, unknown> {
  switch (protocol) {
    case CLAIM_PROTOCOL:
      switch (r.int(5)) {
        case 0: return { type: 'claim', capabilities: CAPABILITIES }
        case 1: return { type: 'claim', capabilities: CAPABILITIES, unitId: unitId(r) }
        case 2: return { type: 'renew', leases: Array.from({ length: r.int(4) }, () => ({ unitId: unitId(r), attempt: r.int(5), step: r.int(1000) })) }
        case 3: return { type: 'complete', unitId: unitId(r), attempt: 1 + r.int(3), checkpointHash: r.hex(64), frames: r.int(100) }
        default: return { type: 'fail', unitId: unitId(r), attempt: 1 + r.int(3), reason: r.string(200), errorName: 'FuzzError', retryable: r.next() < 0.5 }
      }
    case BLOB_PROTOCOL: {
      if (r.next() < 0.5) return { type: 'get', hash: r.hex(64) }
      const bytes = r.bytes(r.int(2048))
      return { type: 'put', hash: r.next() < 0.5 ? sha256Hex(bytes) : r.hex(64), bytes, unitId: unitId(r), attempt: 1 + r.int(3) }
    }
    case FRAMES_PROTOCOL:
      return { type: 'chunk', unitId: unitId(r), attempt: 1 + r.int(3), firstFrame: r.int(20), frameCount: 1 + r.int(3), data: chunkData(r) }
    default:
      switch (r.int(13)) {
        case 0: return { type: 'blob-has', hashes: Array.from({ length: r.int(5) }, () => r.hex(64)) }
        // Never a matching hash: an allowed client's matching upload would be stored (rightly).
        case 1: return { type: 'blob-put', hash: r.hex(64), bytes: r.bytes(r.int(1024)) }
        case 2: return { type: 'blob-get', hash: r.hex(64) }
        case 3: return { type: 'submit', spec: { systemHash: r.hex(64), integratorHash: r.hex(64), pdbHash: r.hex(64), steps: 1 + r.int(1e6), reportEvery: 1 + r.int(100), replicas: 1 + r.int(10) } }
        case 4: return { type: 'jobs' }
        case 5: return { type: 'status', jobId: unitId(r) }
        case 6: return { type: 'cancel', jobId: unitId(r), reason: r.string(100) }
        case 7: return { type: 'peers' }
        case 8: return { type: 'fetch', jobId: unitId(r), fromFrame: r.int(100) }
        case 9: return { type: 'watch', jobIds: Array.from({ length: 1 + r.int(3) }, () => unitId(r)) }
        case 10: return { type: 'allow', peerId: r.next() < 0.5 ? `12D3KooW${r.hex(44)}` : r.string(60), admin: r.next() < 0.5 }
        case 11: return { type: 'revoke', peerId: `12D3KooW${r.hex(44)}` }
        default: return { type: 'list-allowed' }
      }
  }
}

const KEYS = ['type', 'unitId', 'attempt', 'hash', 'bytes', 'capabilities', 'leases', 'firstFrame', 'frameCount', 'data', 'jobId', 'jobIds', 'spec', 'peerId', 'junk']

function randomValue (r: FuzzRandom, depth = 0): unknown {
  switch (r.int(depth > 3 ? 5 : 8)) {
    case 0: return r.int(2 ** 31) * (r.next() < 0.5 ? -1 : 1)
    case 1: return r.next() * 1e12
    case 2: return r.string(300)
    case 3: return r.next() < 0.5
    case 4: return r.bytes(r.int(64))
    case 5: return Array.from({ length: r.int(5) }, () => randomValue(r, depth + 1))
    case 6: return null
    default: {
      const out: Record<string, unknown> = {}
      for (let i = r.int(8); i > 0; i--) out[r.pick(KEYS)] = randomValue(r, depth + 1)
      return out
    }
  }
}

/** CBOR of `message` with one number replaced by NaN (the encoder refuses to write NaN itself). */
function withNaN (message: Record<string, unknown>): Uint8Array {
  const marker = 0.5
  const numeric = Object.keys(message).find(k => typeof message[k] === 'number') ?? 'type'
  const bytes = encode({ ...message, [numeric]: marker }, { float64: true })
  const pattern = [0xfb, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0]
  for (let i = 0; i + pattern.length <= bytes.length; i++) {
    if (pattern.every((b, k) => bytes[i + k] === b)) { bytes.set([0xfb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], i); break }
  }
  return bytes
}

function limitFor (protocol: string): number {
  return protocol === CONTROL_PROTOCOL ? CONTROL_STREAM_MAX_BYTES : maxMessageBytesFor(protocol)
}

interface Case { readonly protocol: string, readonly bytes: Uint8Array, readonly messages: number, readonly kind: string }

/** One hostile message (bytes as they go on the stream). */
function hostileMessage (protocol: string, r: FuzzRandom): { bytes: Uint8Array, kind: string } {
  const limit = limitFor(protocol)
  switch (r.int(9)) {
    case 0: return { kind: 'random bytes', bytes: r.bytes(1 + r.int(1500)) }
    case 1: return { kind: 'random body', bytes: framed(r.bytes(1 + r.int(800))) }
    case 2: return { kind: 'oversized prefix', bytes: concat(encodeVarint(limit + 1 + r.int(2 ** 30)), r.bytes(r.int(200))) }
    case 3: { const full = framed(encodeMessage(validMessage(protocol, r))); return { kind: 'truncated', bytes: full.subarray(0, r.int(full.byteLength)) } }
    case 4: return { kind: 'random cbor', bytes: framed(encodeMessage(randomValue(r))) }
    case 5: { const full = framed(encodeMessage(validMessage(protocol, r))); full[r.int(full.byteLength)] ^= 1 + r.int(255); return { kind: 'flipped byte', bytes: full } }
    case 6: return { kind: 'nan', bytes: framed(withNaN(validMessage(protocol, r))) }
    case 7: { const m = validMessage(protocol, r); m[r.pick(KEYS)] = randomValue(r); return { kind: 'wrong field', bytes: framed(encodeMessage(m)) } }
    default: return { kind: 'bad varint', bytes: concat(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), r.bytes(10)) }
  }
}

function makeCase (protocol: string, r: FuzzRandom, batch: number): Case {
  if (r.next() < 0.5) {
    const { bytes, kind } = hostileMessage(protocol, r)
    return { protocol, bytes, messages: 1, kind }
  }
  // A batch of schema-valid messages on one stream, sometimes ending with a hostile one.
  const parts: Uint8Array[] = []
  for (let i = 0; i < batch; i++) parts.push(framed(encodeMessage(validMessage(protocol, r))))
  let messages = batch
  if (r.next() < 0.3) { parts.push(hostileMessage(protocol, r).bytes); messages++ }
  return { protocol, bytes: concat(...parts), messages, kind: 'valid batch' }
}

async function runCase (peer: MdswarmPeer, address: string, c: Case, r: FuzzRandom, stats: FuzzStats): Promise<void> {
  const name = c.protocol.split('/')[2]
  let stream: Stream
  try {
    stream = await peer.dialProtocol(parseMultiaddr(address), c.protocol, { signal: AbortSignal.timeout(10_000) })
  } catch {
    stats.streamErrors++
    return
  }
  try {
    // Random pieces exercise partial reads on the server.
    for (let at = 0; at < c.bytes.byteLength;) {
      const piece = 1 + r.int(8192)
      if (!stream.send(c.bytes.subarray(at, at + piece))) await stream.onDrain({ signal: AbortSignal.timeout(10_000) })
      at += piece
    }
    await stream.close({ signal: AbortSignal.timeout(10_000) })
    const ws = wireStream(stream, { maxMessageBytes: CONTROL_STREAM_MAX_BYTES })
    while (true) {
      const response = await ws.readRaw(AbortSignal.timeout(15_000)) as { type?: unknown } | null
      if (response === null) break
      const key = `${name}:${typeof response?.type === 'string' ? response.type : '?'}`
      stats.responses[key] = (stats.responses[key] ?? 0) + 1
    }
  } catch {
    stats.streamErrors++
  } finally {
    stream.abort(new Error('fuzz case done'))
  }
}

function gossipPayload (r: FuzzRandom): { data: Uint8Array, kind: string } {
  switch (r.int(5)) {
    case 0: return { kind: 'gossip random bytes', data: r.bytes(1 + r.int(500)) }
    case 1: return { kind: 'gossip random cbor', data: encodeMessage(randomValue(r)) }
    case 2: return { kind: 'gossip oversized', data: encodeMessage({ type: 'status', role: 'node', running: [], nsPerDay: 1, sentAt: 1, junk: 'x'.repeat(70_000 + r.int(100_000)) }) }
    case 3: return { kind: 'gossip untrusted offer', data: encodeMessage({ type: 'offer', unitId: unitId(r), jobId: `j${r.hex(10)}`, requirements: { engine: 'builtin', forceTypes: [] }, steps: 1 + r.int(1000), atoms: 1 + r.int(100), priority: r.int(10) }) }
    default: return { kind: 'gossip fake status', data: encodeMessage({ type: 'status', role: r.next() < 0.5 ? 'node' : 'coordinator', capabilities: CAPABILITIES, running: [unitId(r)], nsPerDay: r.next() * 100, sentAt: Date.now() }) }
  }
}

/** Runs the fuzz; resolves with what was sent and answered. Never throws for hostile outcomes. */
export async function runProtocolFuzz (target: FuzzTarget, options: FuzzOptions): Promise<FuzzStats> {
  const r = new FuzzRandom(options.seed ?? 20_240_601)
  const batch = options.batch ?? 16
  const concurrency = options.concurrency ?? 8
  const network = target.network ?? 'default'
  const stats: FuzzStats = {
    messages: 0,
    streams: 0,
    byProtocol: { [CLAIM_PROTOCOL]: 0, [BLOB_PROTOCOL]: 0, [FRAMES_PROTOCOL]: 0, [CONTROL_PROTOCOL]: 0, gossip: 0 } as Record<FuzzedProtocol, number>,
    responses: {},
    streamErrors: 0,
    kinds: {}
  }
  const gossipMessages = Math.ceil(options.messages * (options.gossipShare ?? 0.05))
  const streamMessages = options.messages - gossipMessages

  // Gossip: join the topics through the coordinator and every gossip target, then publish.
  const publisher = options.peers[0]
  for (const address of [target.coordinator, ...(target.gossipTargets ?? [])]) {
    try { await publisher.dial(parseMultiaddr(address), { signal: AbortSignal.timeout(10_000) }) } catch {}
  }
  publisher.services.pubsub.subscribe(offersTopic(network))
  publisher.services.pubsub.subscribe(statusTopic(network))
  await new Promise(resolve => setTimeout(resolve, 1500))

  let streamSent = 0
  let peerIndex = 0
  const worker = async (): Promise<void> => {
    while (streamSent < streamMessages) {
      const protocol = r.pick(FUZZED_STREAM_PROTOCOLS)
      const c = makeCase(protocol, r, batch)
      streamSent += c.messages
      stats.messages += c.messages
      stats.streams++
      stats.byProtocol[protocol as FuzzedProtocol] += c.messages
      stats.kinds[c.kind] = (stats.kinds[c.kind] ?? 0) + 1
      const peer = options.peers[peerIndex++ % options.peers.length]
      await runCase(peer, target.coordinator, c, r, stats)
      if (stats.streams % 100 === 0) options.onProgress?.(stats)
    }
  }
  const gossip = async (): Promise<void> => {
    for (let i = 0; i < gossipMessages; i++) {
      const { data, kind } = gossipPayload(r)
      const topic = r.next() < 0.5 ? offersTopic(network) : statusTopic(network)
      try { await publisher.services.pubsub.publish(topic, data) } catch {}
      stats.messages++
      stats.byProtocol.gossip++
      stats.kinds[kind] = (stats.kinds[kind] ?? 0) + 1
      // Spread gossip over the run: gossipsub itself drops floods from one peer.
      if (i % 20 === 19) await new Promise(resolve => setTimeout(resolve, 50))
    }
  }
  await Promise.all([gossip(), ...Array.from({ length: concurrency }, worker)])
  options.onProgress?.(stats)
  return stats
}
