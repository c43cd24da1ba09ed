/**
 * sendYamuxWindowUpdatesAtHalfWindow (src/p2p/yamux-window-updates.ts), over
 * two real libp2p peers on 127.0.0.1: small request/response traffic no
 * longer draws a window update per message, and flow control still works
 * for transfers many times the window in both directions.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Stream } from '@libp2p/interface'
import { YamuxStream } from '@libp2p/yamux/stream'
import { createPeer, type MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey } from '../../src/p2p/identity.ts'
import { resolveHome } from '../../src/p2p/home.ts'
import { serveStream } from '../../src/wire/serve.ts'
import { RequestChannel } from '../../src/wire/request-channel.ts'

const PROTOCOL = '/mdswarm-test/bytes/1'
const MAX_MESSAGE_BYTES = 2 * 1024 * 1024
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-yamux-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

interface Payload { readonly bytes: Uint8Array }
const validatePayload = (value: unknown): Payload => {
  if (!((value as Payload)?.bytes instanceof Uint8Array)) throw new Error('no bytes')
  return value as Payload
}

/** Window-update frames received by streams in this process (both peers live here). */
let windowUpdatesReceived = 0
const prototype = YamuxStream.prototype as unknown as { handleWindowUpdate: (this: unknown, frame: unknown) => void }
const handleWindowUpdate = prototype.handleWindowUpdate
prototype.handleWindowUpdate = function (frame: unknown): void {
  windowUpdatesReceived += 1
  handleWindowUpdate.call(this, frame)
}

async function pair (t: { teardown: (fn: () => Promise<void>) => void }): Promise<RequestChannel<Payload>> {
  const server: MdswarmPeer = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(fs.mkdtempSync(path.join(tmp, 's-')))), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'test', role: 'coordinator' })
  t.teardown(async () => { await server.stop() })
  const client: MdswarmPeer = await createPeer({ privateKey: await loadOrCreatePrivateKey(resolveHome(fs.mkdtempSync(path.join(tmp, 'c-')))), network: 'test', role: 'node' })
  t.teardown(async () => { await client.stop() })
  // Answers each message with one of the same size.
  await server.handle(PROTOCOL, async (stream: Stream) => {
    await serveStream(stream, { validate: validatePayload, onMessage: async (m: Payload) => ({ bytes: new Uint8Array(m.bytes.byteLength).fill(7) }), maxMessageBytes: MAX_MESSAGE_BYTES })
  })
  const address = server.getMultiaddrs()[0]
  const channel = new RequestChannel<Payload>(PROTOCOL, async signal => await client.dialProtocol(address, PROTOCOL, { signal }), validatePayload, { wire: { maxMessageBytes: MAX_MESSAGE_BYTES }, weigh: m => (m as Payload).bytes.byteLength })
  t.teardown(async () => { channel.close() })
  return channel
}

test.serial('small messages draw no window update each', async t => {
  const channel = await pair(t)
  await channel.request({ bytes: new Uint8Array(10) }, AbortSignal.timeout(10_000)) // opens the stream
  const before = windowUpdatesReceived
  for (let i = 0; i < 200; i++) await channel.request({ bytes: new Uint8Array(200) }, AbortSignal.timeout(10_000))
  // Stock js-yamux sends one per data frame: at least 400 here (request and answer each). A few remain:
  // the receive window grows (auto-tuning) while traffic is quick, and each growth is announced.
  t.true(windowUpdatesReceived - before <= 20, `${windowUpdatesReceived - before} window updates for 200 round trips`)
})

test.serial('transfers many times the window still flow both ways', async t => {
  const channel = await pair(t)
  let total = 0
  const sizes = [1_500_000, 700_000, 1_900_000, 300_000, 1_200_000, 1_800_000]
  const answers = await Promise.all(sizes.map(async size => await channel.request({ bytes: new Uint8Array(size).fill(3) }, AbortSignal.timeout(60_000))))
  for (const [i, answer] of answers.entries()) {
    t.is(answer.bytes.byteLength, sizes[i])
    t.is(answer.bytes[answer.bytes.byteLength - 1], 7)
    total += answer.bytes.byteLength
  }
  t.is(total, sizes.reduce((a, b) => a + b, 0))
  t.true(windowUpdatesReceived > 0)
})
