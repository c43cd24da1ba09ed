/**
 * Throws thousands of random, truncated, oversized and malformed messages at
 * a real libp2p frames handler (serveStream + validators + chunk codec) over
 * TCP loopback. The server must answer what it can, drop what it cannot,
 * stay alive, keep serving valid clients and not grow its memory.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import v8 from 'node:v8'
import vm from 'node:vm'
import type { Stream } from '@libp2p/interface'
import { createPeer } from '../../src/p2p/create-peer.ts'
import type { MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey } from '../../src/p2p/identity.ts'
import { FRAMES_PROTOCOL } from '../../src/wire/constants.ts'
import { encodeMessage } from '../../src/wire/cbor.ts'
import { encodeFrame, encodeVarint, request, wireStream } from '../../src/wire/framing.ts'
import { serveStream } from '../../src/wire/serve.ts'
import { validateChunkAck, validateChunkMessage } from '../../src/wire/validate.ts'
import { decodeChunk, encodeChunk } from '../../src/wire/chunk-codec.ts'
import type { ChunkAck, ChunkMessage } from '../../src/wire/messages.ts'

/** Small limit so oversized cases stay cheap; the code path is the same as for 16 MiB. */
const MAX = 256 * 1024
/** Streams opened; schema-valid cases send a batch of messages on one stream. */
const CASES = 600
const BATCH = 16
const CONCURRENCY = 8

v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-fuzz-'))
let server: MdswarmPeer
let client: MdswarmPeer
const stats = { handled: 0, acked: 0, nacked: 0, refusedInput: 0 }

test.before(async () => {
  server = await createPeer({ privateKey: await loadOrCreatePrivateKey(path.join(tmp, 's')), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'fuzz', role: 'coordinator' })
  client = await createPeer({ privateKey: await loadOrCreatePrivateKey(path.join(tmp, 'c')), network: 'fuzz', role: 'client' })
  await server.handle(FRAMES_PROTOCOL, (stream) => serveStream<ChunkMessage>(stream, {
    maxMessageBytes: MAX,
    idleTimeoutMs: 5000,
    validate: validateChunkMessage,
    onMessage: (chunk): ChunkAck => {
      stats.handled++
      try {
        const frames = decodeChunk(chunk.data)
        if (frames.length !== chunk.frameCount) throw new Error('frame count mismatch')
        stats.acked++
        return { type: 'ack', unitId: chunk.unitId, firstFrame: chunk.firstFrame, duplicate: false }
      } catch (err) {
        stats.nacked++
        return { type: 'nack', unitId: chunk.unitId, firstFrame: chunk.firstFrame, code: 'corrupt', reason: (err as Error).name }
      }
    },
    onInvalid: () => { stats.refusedInput++; return { type: 'nack', unitId: '?', firstFrame: 0, code: 'bad-request', reason: 'invalid message' } }
  }), { maxInboundStreams: 64 })
})

test.after.always(async () => {
  await client?.stop()
  await server?.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
})

let seed = 987654321
function random (): number {
  seed = (seed * 1664525 + 1013904223) % 2 ** 32
  return seed / 2 ** 32
}
function randomInt (max: number): number { return Math.floor(random() * max) }
function randomBytes (length: number): Uint8Array { return Uint8Array.from({ length }, () => randomInt(256)) }

function randomValue (depth = 0): unknown {
  switch (randomInt(depth > 3 ? 5 : 8)) {
    case 0: return randomInt(2 ** 31) * (random() < 0.5 ? -1 : 1)
    case 1: return random() * 1e6
    case 2: return 'x'.repeat(randomInt(200))
    case 3: return random() < 0.5
    case 4: return randomBytes(randomInt(64))
    case 5: return Array.from({ length: randomInt(5) }, () => randomValue(depth + 1))
    case 6: return null
    default: {
      const keys = ['type', 'unitId', 'attempt', 'firstFrame', 'frameCount', 'data', 'checkpointHash', 'checkpointStep', 'junk']
      const out: Record<string, unknown> = {}
      for (let i = randomInt(8); i > 0; i--) out[keys[randomInt(keys.length)]] = randomValue(depth + 1)
      if (random() < 0.5) out.type = 'chunk'
      return out
    }
  }
}

function validChunk (firstFrame: number): ChunkMessage {
  const positionsNm = Float32Array.from({ length: 30 }, (_, i) => i * 0.1)
  const data = encodeChunk([{ step: firstFrame * 10, timePs: firstFrame * 0.02, positionsNm, box: null, potentialEnergy: -1, kineticEnergy: 1, temperatureK: 300 }])
  return { type: 'chunk', unitId: 'u1', attempt: 1, firstFrame, frameCount: 1, data }
}

function concat (parts: Uint8Array[]): Uint8Array { return new Uint8Array(Buffer.concat(parts)) }

/** One hostile (or valid) exchange; returns the bytes sent. */
function makeCase (n: number): { bytes: Uint8Array, closeAfter: boolean, kind: string, messages: number } {
  const one = makeOneCase(n)
  if (one.kind !== 'valid' && one.kind !== 'corrupt chunk data') return { ...one, messages: 1 }
  // A batch of schema-valid messages on one stream, then maybe a hostile tail.
  const parts = [one.bytes]
  for (let i = 1; i < BATCH; i++) parts.push(makeOneCase(n).bytes)
  let messages = BATCH
  if (random() < 0.3) { parts.push(makeOneCase(n + 1 + randomInt(4)).bytes); messages++ }
  return { ...one, bytes: concat(parts), messages }
}

function makeOneCase (n: number): { bytes: Uint8Array, closeAfter: boolean, kind: string } {
  const kind = n % 9
  switch (kind) {
    case 0: return { kind: 'random bytes', bytes: randomBytes(1 + randomInt(2000)), closeAfter: true }
    case 1: { const body = randomBytes(1 + randomInt(500)); return { kind: 'random body', bytes: concat([encodeVarint(body.byteLength), body]), closeAfter: true } }
    case 2: return { kind: 'oversized prefix', bytes: concat([encodeVarint(MAX + 1 + randomInt(2 ** 30)), randomBytes(randomInt(100))]), closeAfter: random() < 0.5 }
    case 3: { const full = concat(encodeFrame(validChunk(n), MAX)); return { kind: 'truncated', bytes: full.subarray(0, randomInt(full.byteLength)), closeAfter: true } }
    case 4: { const body = encodeMessage(randomValue()); return { kind: 'random cbor', bytes: concat([encodeVarint(body.byteLength), body]), closeAfter: true } }
    case 5: {
      const chunk = validChunk(n)
      const data = chunk.data.slice()
      for (let i = randomInt(4) + 1; i > 0; i--) data[randomInt(data.byteLength)] ^= 1 + randomInt(255)
      return { kind: 'corrupt chunk data', bytes: concat(encodeFrame({ ...chunk, data }, MAX)), closeAfter: true }
    }
    case 6: { const full = concat(encodeFrame(validChunk(n), MAX)); full[randomInt(full.byteLength)] ^= 0xff; return { kind: 'flipped byte', bytes: full, closeAfter: true } }
    case 7: return { kind: 'body over the limit', bytes: concat([encodeVarint(MAX + 10), randomBytes(MAX + 10)]), closeAfter: true }
    default: return { kind: 'valid', bytes: concat(encodeFrame(validChunk(n), MAX)), closeAfter: true }
  }
}

let messagesSent = 0

async function runCase (n: number): Promise<void> {
  const { bytes, closeAfter, messages } = makeCase(n)
  messagesSent += messages
  let stream: Stream
  try {
    stream = await client.dialProtocol(server.getMultiaddrs()[0], FRAMES_PROTOCOL, { signal: AbortSignal.timeout(10_000) })
  } catch {
    return
  }
  try {
    // Send in random pieces to exercise partial reads.
    for (let at = 0; at < bytes.byteLength;) {
      const piece = 1 + randomInt(4096)
      if (!stream.send(bytes.subarray(at, at + piece))) await stream.onDrain({ signal: AbortSignal.timeout(5000) })
      at += piece
    }
    if (closeAfter) await stream.close({ signal: AbortSignal.timeout(5000) })
    const ws = wireStream(stream, { maxMessageBytes: MAX })
    while (await ws.readRaw(AbortSignal.timeout(5000)) !== null) { /* drain responses */ }
  } catch {
    // Hostile input may get the stream reset: that is the point.
  } finally {
    stream.abort(new Error('case done'))
  }
}

test('over 2000 hostile messages: the handler survives, memory stays bounded, valid clients still get acks', async t => {
  const ackForValid = async (firstFrame: number): Promise<ChunkAck> => {
    const stream = await client.dialProtocol(server.getMultiaddrs()[0], FRAMES_PROTOCOL)
    const ack = await request(stream, validChunk(firstFrame), AbortSignal.timeout(10_000), { validate: validateChunkAck, maxMessageBytes: MAX })
    await stream.close()
    return ack
  }
  t.deepEqual(await ackForValid(1), { type: 'ack', unitId: 'u1', firstFrame: 1, duplicate: false })

  // Warm up, then measure.
  for (let n = 0; n < 90; n++) await runCase(n)
  gc()
  const heapBefore = process.memoryUsage().heapUsed

  let next = 90
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < CASES) await runCase(next++)
  }))

  gc()
  await new Promise(resolve => setTimeout(resolve, 200))
  gc()
  const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20
  t.log(`sent ${messagesSent} messages on ${CASES} streams`)
  t.true(messagesSent >= 2000)
  t.log(`handled ${stats.handled} (acked ${stats.acked}, nacked ${stats.nacked}), refused input ${stats.refusedInput}, heap growth ${heapGrowthMiB.toFixed(1)} MiB`)
  t.true(heapGrowthMiB < 64, `heap grew ${heapGrowthMiB.toFixed(1)} MiB`)
  t.true(stats.acked >= CASES / 9 * BATCH * 0.9, 'valid messages among the noise were acked')
  t.true(stats.nacked > 0, 'corrupt chunks were nacked')
  t.true(stats.refusedInput > CASES / 3, 'malformed input was refused')

  // Still serving, and no streams left open on the server.
  t.deepEqual(await ackForValid(2), { type: 'ack', unitId: 'u1', firstFrame: 2, duplicate: false })
  await new Promise(resolve => setTimeout(resolve, 500))
  const openStreams = server.getConnections().reduce((sum, connection) => sum + connection.streams.filter(s => s.protocol === FRAMES_PROTOCOL).length, 0)
  t.true(openStreams <= 1, `${openStreams} frames streams still open on the server`)
})
