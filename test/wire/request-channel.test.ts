/**
 * RequestChannel (pipelined requests on one long-lived stream) and
 * StreamReserve (a stream negotiated ahead) between two real libp2p peers on
 * 127.0.0.1: answers come back in order on one stream, a quiet stream is
 * replaced before the server's idle timeout, a server that closes a stream
 * costs no request, and a reserved stream is handed out already negotiated.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Stream } from '@libp2p/interface'
import { createPeer, type MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey } from '../../src/p2p/identity.ts'
import { resolveHome } from '../../src/p2p/home.ts'
import { serveStream } from '../../src/wire/serve.ts'
import { RequestChannel } from '../../src/wire/request-channel.ts'
import { StreamReserve } from '../../src/wire/stream-reserve.ts'

const PROTOCOL = '/mdswarm-test/echo/1'
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-request-channel-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

interface Echo { readonly n: number }
const validateEcho = (value: unknown): Echo => {
  if (typeof (value as Echo)?.n !== 'number') throw new Error('not an echo')
  return value as Echo
}

/** A server peer answering {n} with {n: n * 10} (after `delayMs`), and a client peer; counts streams opened. */
async function echoPair (t: { teardown: (fn: () => Promise<void>) => void }, options: { idleTimeoutMs?: number } = {}): Promise<{ open: (signal: AbortSignal) => Promise<Stream>, served: { streams: number, messages: number } }> {
  const server: MdswarmPeer = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(fs.mkdtempSync(path.join(tmp, 's-')))), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'test', role: 'coordinator' })
  t.teardown(async () => { await server.stop() })
  const client: MdswarmPeer = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(fs.mkdtempSync(path.join(tmp, 'c-')))), network: 'test', role: 'node' })
  t.teardown(async () => { await client.stop() })
  const served = { streams: 0, messages: 0 }
  await server.handle(PROTOCOL, async (stream: Stream) => {
    served.streams += 1
    await serveStream(stream, {
      validate: validateEcho,
      onMessage: async (m: Echo) => { served.messages += 1; return { n: m.n * 10 } },
      idleTimeoutMs: options.idleTimeoutMs
    })
  })
  const address = server.getMultiaddrs()[0]
  return { open: async (signal) => await client.dialProtocol(address, PROTOCOL, { signal }), served }
}

test('requests share one stream and are answered in order', async t => {
  const { open, served } = await echoPair(t)
  const channel = new RequestChannel<Echo>(PROTOCOL, open, validateEcho)
  t.teardown(() => { channel.close() })
  const answers = await Promise.all([1, 2, 3, 4, 5].map(async n => await channel.request({ n }, AbortSignal.timeout(10_000))))
  t.deepEqual(answers.map(a => a.n), [10, 20, 30, 40, 50])
  t.is((await channel.request({ n: 6 }, AbortSignal.timeout(10_000))).n, 60)
  t.is(served.streams, 1)
  t.is(served.messages, 6)
})

test('a stream quiet for maxIdleMs is replaced, so a request never meets the server closing it', async t => {
  const { open, served } = await echoPair(t, { idleTimeoutMs: 2500 })
  const channel = new RequestChannel<Echo>(PROTOCOL, open, validateEcho, { maxIdleMs: 1000 })
  t.teardown(() => { channel.close() })
  t.is((await channel.request({ n: 1 }, AbortSignal.timeout(10_000))).n, 10)
  const firstAnsweredAt = performance.now()
  t.is((await channel.request({ n: 2 }, AbortSignal.timeout(10_000))).n, 20)
  // (on a machine stalled for over maxIdleMs between the two, replacing the stream is right too)
  const stalled = performance.now() - firstAnsweredAt >= 1000
  t.is(served.streams, stalled ? 2 : 1, 'a busy stream is reused')
  const streamsBefore = served.streams
  await new Promise(resolve => setTimeout(resolve, 1200))
  t.is((await channel.request({ n: 3 }, AbortSignal.timeout(10_000))).n, 30)
  t.is(served.streams, streamsBefore + 1, 'a quiet one is not')
  await new Promise(resolve => setTimeout(resolve, 2800)) // past the server's idle timeout: it ended that stream
  t.is((await channel.request({ n: 4 }, AbortSignal.timeout(10_000))).n, 40)
  t.is(served.streams, streamsBefore + 2)
})

test('a reserved stream is handed out negotiated, the next one opened behind it; a stale one is replaced', async t => {
  const { open, served } = await echoPair(t)
  let opened = 0
  const reserve = new StreamReserve(async signal => { opened += 1; return await open(signal) }, 2000)
  t.teardown(() => { reserve.close() })
  const ask = async (stream: Stream, n: number): Promise<number> => {
    const channel = new RequestChannel<Echo>(PROTOCOL, async () => stream, validateEcho)
    const answer = await channel.request({ n }, AbortSignal.timeout(10_000))
    channel.close()
    return answer.n
  }
  t.is(await ask(await reserve.take(AbortSignal.timeout(10_000)), 1), 10)
  t.is(opened, 2, 'the first take opens its own and reserves the next')
  await new Promise(resolve => setTimeout(resolve, 100))
  t.is(await ask(await reserve.take(AbortSignal.timeout(10_000)), 2), 20)
  t.is(opened, 3, 'the reserved one was used; another is reserved')
  await new Promise(resolve => setTimeout(resolve, 2200))
  t.is(await ask(await reserve.take(AbortSignal.timeout(10_000)), 3), 30)
  t.is(opened, 5, 'the stale reserved stream was dropped for a fresh one')
  t.is(served.messages, 3)
  reserve.close()
  const before = opened
  t.is(await ask(await reserve.take(AbortSignal.timeout(10_000)), 4), 40, 'a closed reserve still opens a stream on demand')
  await new Promise(resolve => setTimeout(resolve, 200))
  t.is(opened, before + 1, 'but reserves none in the background')
})
