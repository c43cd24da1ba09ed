import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Stream } from '@libp2p/interface'
import { createPeer } from '../../src/p2p/create-peer.ts'
import type { MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey } from '../../src/p2p/identity.ts'
import { encodeMessage, decodeMessage } from '../../src/wire/cbor.ts'
import { FrameDecoder, encodeFrame, encodeVarint, request, wireStream } from '../../src/wire/framing.ts'

const PROTOCOL = '/mdswarm/test-framing/1'
const MAX = 64 * 1024

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-framing-'))
let server: MdswarmPeer
let client: MdswarmPeer
/** Streams the server received, in order. */
const inbound: Stream[] = []
const waiting: Array<(stream: Stream) => void> = []

test.before(async () => {
  server = await createPeer({ privateKey: await loadOrCreatePrivateKey(path.join(tmp, 's')), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'test', role: 'coordinator' })
  client = await createPeer({ privateKey: await loadOrCreatePrivateKey(path.join(tmp, 'c')), network: 'test', role: 'client' })
  await server.handle(PROTOCOL, (stream) => {
    const next = waiting.shift()
    if (next != null) next(stream)
    else inbound.push(stream)
  })
})

test.after.always(async () => {
  await client?.stop()
  await server?.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
})

/** Opens a stream from the client; returns both ends. */
async function openPair (): Promise<{ outbound: Stream, received: Stream }> {
  const received = new Promise<Stream>(resolve => {
    const early = inbound.shift()
    if (early != null) resolve(early)
    else waiting.push(resolve)
  })
  const outbound = await client.dialProtocol(server.getMultiaddrs()[0], PROTOCOL)
  return { outbound, received: await received }
}

function concat (parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts))
}

const sample = { type: 'chunk', unitId: 'u-1', attempt: 2, firstFrame: 10, frameCount: 3, data: new Uint8Array(1000).fill(7) }

test('FrameDecoder: several messages fed one byte at a time', t => {
  const messages = [sample, { type: 'ok' }, { text: 'ü'.repeat(300), n: 1.5 }]
  const stream = concat(messages.flatMap(m => encodeFrame(m, MAX)))
  const decoder = new FrameDecoder(MAX)
  const out: unknown[] = []
  for (let i = 0; i < stream.byteLength; i++) {
    decoder.push(stream.subarray(i, i + 1))
    for (let body = decoder.next(); body != null; body = decoder.next()) out.push(decodeMessage(body))
  }
  t.deepEqual(out, messages)
  t.is(decoder.buffered, 0)
})

test('FrameDecoder: an announced length over the maximum fails before the body arrives', t => {
  const decoder = new FrameDecoder(MAX)
  decoder.push(encodeVarint(MAX + 1))
  const err = t.throws(() => decoder.next())
  t.is(err?.name, 'MessageTooLargeError')
  const huge = new FrameDecoder(MAX)
  huge.push(Uint8Array.from([0xff, 0xff, 0xff])) // incomplete, but already > MAX
  t.is(t.throws(() => huge.next())?.name, 'MessageTooLargeError')
})

test('FrameDecoder: malformed length prefixes are WireFormatError', t => {
  const nonMinimal = new FrameDecoder(MAX)
  nonMinimal.push(Uint8Array.from([0x81, 0x00]))
  t.is(t.throws(() => nonMinimal.next())?.name, 'WireFormatError')
})

test('FrameDecoder: a truncated message yields nothing (waits for more)', t => {
  const [prefix, body] = encodeFrame(sample, MAX)
  const decoder = new FrameDecoder(MAX)
  decoder.push(prefix)
  decoder.push(body.subarray(0, body.byteLength - 1))
  t.is(decoder.next(), null)
  decoder.push(body.subarray(body.byteLength - 1))
  t.deepEqual(decodeMessage(decoder.next()!), sample)
})

test('CBOR: garbage, NaN, Infinity, undefined and tags are WireFormatError', t => {
  for (const bad of [
    Uint8Array.from([0xff]),
    Uint8Array.from([0xa1]),
    Uint8Array.from([0xf9, 0x7e, 0x00]), // NaN (half float)
    Uint8Array.from([0xf9, 0x7c, 0x00]), // +Infinity
    Uint8Array.from([0xf7]), // undefined
    Uint8Array.from([0xc1, 0x00]), // tag 1
    Uint8Array.from([0x9f, 0xff]), // indefinite array
    Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]), // duplicate key
    new Uint8Array(0)
  ]) {
    t.is(t.throws(() => decodeMessage(bad))?.name, 'WireFormatError')
  }
})

test('encodeFrame refuses a message over the maximum', t => {
  t.is(t.throws(() => encodeFrame({ data: new Uint8Array(MAX) }, MAX))?.name, 'MessageTooLargeError')
})

test.serial('stream: a message sent one byte at a time over TCP arrives whole', async t => {
  const { outbound, received } = await openPair()
  const bytes = concat(encodeFrame(sample, MAX))
  for (let i = 0; i < bytes.byteLength; i += 1) {
    outbound.send(bytes.subarray(i, i + 1))
    if (i % 97 === 0) await new Promise(resolve => setTimeout(resolve, 1))
  }
  await outbound.close()
  const ws = wireStream(received, { maxMessageBytes: MAX })
  t.deepEqual(await ws.readRaw(AbortSignal.timeout(10_000)), sample)
  t.is(await ws.readRaw(AbortSignal.timeout(10_000)), null, 'clean end between messages reads as null')
})

test.serial('stream: the peer closing mid-message is TruncatedMessageError', async t => {
  const { outbound, received } = await openPair()
  const bytes = concat(encodeFrame(sample, MAX))
  outbound.send(bytes.subarray(0, 500))
  await outbound.close()
  const ws = wireStream(received, { maxMessageBytes: MAX })
  await t.throwsAsync(ws.readRaw(AbortSignal.timeout(10_000)), { name: 'TruncatedMessageError' })
  await t.throwsAsync(ws.readRaw(AbortSignal.timeout(10_000)), { name: 'TruncatedMessageError' }, 'a broken stream stays broken')
})

test.serial('stream: an oversized announced length is MessageTooLargeError without reading the body', async t => {
  const { outbound, received } = await openPair()
  outbound.send(encodeVarint(MAX + 1))
  const ws = wireStream(received, { maxMessageBytes: MAX })
  await t.throwsAsync(ws.readRaw(AbortSignal.timeout(10_000)), { name: 'MessageTooLargeError' })
  outbound.abort(new Error('test done'))
})

test.serial('stream: garbage with a valid prefix is WireFormatError', async t => {
  const { outbound, received } = await openPair()
  const garbage = Uint8Array.from([0xff, 0xfe, 0xfd, 0x00])
  outbound.send(concat([encodeVarint(garbage.byteLength), garbage]))
  const ws = wireStream(received, { maxMessageBytes: MAX })
  await t.throwsAsync(ws.readRaw(AbortSignal.timeout(10_000)), { name: 'WireFormatError' })
  outbound.abort(new Error('test done'))
})

test.serial('stream: a silent peer times out as WireTimeoutError, and the stream is still usable after', async t => {
  const { outbound, received } = await openPair()
  const ws = wireStream(received, { maxMessageBytes: MAX })
  await t.throwsAsync(ws.readRaw(AbortSignal.timeout(100)), { name: 'WireTimeoutError' })
  outbound.send(concat(encodeFrame({ late: true }, MAX)))
  t.deepEqual(await ws.readRaw(AbortSignal.timeout(10_000)), { late: true })
  await outbound.close()
})

test.serial('request: response on the same stream; NoResponseError when the peer closes without answering', async t => {
  const { outbound, received } = await openPair()
  const serverSide = wireStream(received, { maxMessageBytes: MAX })
  const answered = (async () => {
    const message = await serverSide.readRaw(AbortSignal.timeout(10_000)) as { n: number }
    await serverSide.write({ n: message.n + 1 }, AbortSignal.timeout(10_000))
    await serverSide.readRaw(AbortSignal.timeout(10_000))
    await serverSide.close()
  })()
  t.deepEqual(await request(outbound, { n: 1 }, AbortSignal.timeout(10_000), { maxMessageBytes: MAX }), { n: 2 })
  await t.throwsAsync(request(outbound, { n: 2 }, AbortSignal.timeout(10_000)), { name: 'NoResponseError' })
  await answered
})

test.serial('write: a message over the stream maximum is refused locally', async t => {
  const { outbound } = await openPair()
  const ws = wireStream(outbound, { maxMessageBytes: MAX })
  await t.throwsAsync(ws.write({ data: new Uint8Array(MAX + 1) }), { name: 'MessageTooLargeError' })
  t.deepEqual(encodeMessage({ a: 1 }), Uint8Array.from([0xa1, 0x61, 0x61, 0x01]))
  outbound.abort(new Error('test done'))
})
