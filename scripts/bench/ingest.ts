/**
 * Ingest benchmark: MB/s of trajectory chunks acknowledged by a receiver over
 * one libp2p connection (TCP + Noise + yamux, /mdswarm/frames/1 framing and
 * validation) with a durable LevelDB write per chunk (one batch: chunk bytes
 * + unit record, `sync: true`, as the coordinator's ingest does), against raw
 * TCP on loopback in the same run (the baseline), with and without the
 * LevelDB write, to show where the time goes.
 *
 *   npx tsx scripts/bench/ingest.ts [--atoms 20000,22] [--frames-per-chunk 10] [--megabytes 96] [--max-chunks 400] [--repeats 3]
 *
 * Each path runs `repeats` times, interleaved with the others (so load from
 * other processes spreads over all of them); the table shows the median run.
 *
 * The sender sends one chunk and waits for its ack before the next (as a node's
 * uploader does: it may drop a chunk only after the ack). Both ends run in
 * this process, so both compete for the same cores.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import net from 'node:net'
import { parseArgs } from 'node:util'
import { Level } from 'level'
import { createPeer } from '../../src/p2p/create-peer.ts'
import type { MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { loadOrCreatePrivateKey } from '../../src/p2p/identity.ts'
import { FRAMES_PROTOCOL } from '../../src/wire/constants.ts'
import { decodeMessage } from '../../src/wire/cbor.ts'
import { FrameDecoder, encodeFrame, request } from '../../src/wire/framing.ts'
import { serveStream } from '../../src/wire/serve.ts'
import { validateChunkAck, validateChunkMessage } from '../../src/wire/validate.ts'
import { encodeChunk, readChunkHeader, verifyChunkChecksum } from '../../src/wire/chunk-codec.ts'
import type { ChunkAck, ChunkMessage } from '../../src/wire/messages.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { median, printTable } from './support/table.ts'

const { values: flags } = parseArgs({
  options: {
    atoms: { type: 'string', default: '20000,22' },
    'frames-per-chunk': { type: 'string', default: '10' },
    megabytes: { type: 'string', default: '96' },
    'max-chunks': { type: 'string', default: '400' },
    repeats: { type: 'string', default: '3' }
  }
})
const framesPerChunk = Number(flags['frames-per-chunk'])
const targetBytes = Number(flags.megabytes) * 1e6
const maxChunks = Number(flags['max-chunks'])
const repeats = Number(flags.repeats)
const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-bench-ingest-'))

function makeChunk (atoms: number, index: number): Uint8Array {
  const frames: Frame[] = []
  for (let f = 0; f < framesPerChunk; f++) {
    const positionsNm = new Float32Array(3 * atoms)
    for (let i = 0; i < positionsNm.length; i++) positionsNm[i] = (i * 0.37 + f + index) % 5
    const step = (index * framesPerChunk + f + 1) * 100
    frames.push({ step, timePs: step * 0.002, positionsNm, box: Float64Array.from([5, 0, 0, 0, 5, 0, 0, 0, 5]), potentialEnergy: -1e4, kineticEnergy: 3e3, temperatureK: 300 })
  }
  return encodeChunk(frames)
}

/** The receiving end's work per chunk: validate, check the codec, one synced batch, then ack. */
class ChunkSink {
  private db: Level<string, Uint8Array> | null = null
  private readonly durable: boolean
  constructor (durable: boolean) { this.durable = durable }

  async open (name: string): Promise<void> {
    if (!this.durable) return
    this.db = new Level<string, Uint8Array>(path.join(workdir, name), { valueEncoding: 'view' })
    await this.db.open()
  }

  async accept (chunk: ChunkMessage): Promise<ChunkAck> {
    readChunkHeader(chunk.data)
    verifyChunkChecksum(chunk.data)
    if (this.db != null) {
      const unitRecord = new TextEncoder().encode(JSON.stringify({ unitId: chunk.unitId, attempt: chunk.attempt, nextFrame: chunk.firstFrame + chunk.frameCount, updatedAt: Date.now() }))
      await this.db.batch([
        { type: 'put', key: `chunks!${chunk.unitId}!${String(chunk.firstFrame).padStart(12, '0')}`, value: chunk.data },
        { type: 'put', key: `units!${chunk.unitId}`, value: unitRecord }
      ], { sync: true })
    }
    return { type: 'ack', unitId: chunk.unitId, firstFrame: chunk.firstFrame, duplicate: false }
  }

  async close (): Promise<void> { await this.db?.close() }
}

function chunkMessage (data: Uint8Array, index: number): ChunkMessage {
  return { type: 'chunk', unitId: 'u-bench', attempt: 1, firstFrame: index * framesPerChunk, frameCount: framesPerChunk, data }
}

interface Measured { seconds: number, bytes: number, chunks: number }

// ---------------------------------------------------------------- raw TCP

async function overRawTcp (chunks: Uint8Array[], sink: ChunkSink): Promise<Measured> {
  const max = 64 * 1024 * 1024
  const server = net.createServer(socket => {
    socket.setNoDelay(true)
    const decoder = new FrameDecoder(max)
    let queue = Promise.resolve()
    socket.on('data', data => {
      decoder.push(data)
      for (let body = decoder.next(); body != null; body = decoder.next()) {
        const message = validateChunkMessage(decodeMessage(body))
        queue = queue.then(async () => {
          const ack = await sink.accept(message)
          for (const part of encodeFrame(ack, max)) socket.write(part)
        })
      }
    })
    socket.on('error', () => {})
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  const socket = net.connect(port, '127.0.0.1')
  socket.setNoDelay(true)
  await new Promise<void>(resolve => socket.once('connect', resolve))
  const decoder = new FrameDecoder(max)
  let waiting: ((ack: ChunkAck) => void) | null = null
  socket.on('data', data => {
    decoder.push(data)
    for (let body = decoder.next(); body != null; body = decoder.next()) waiting?.(validateChunkAck(decodeMessage(body)))
  })
  const started = performance.now()
  let bytes = 0
  for (let i = 0; i < chunks.length; i++) {
    const acked = new Promise<ChunkAck>(resolve => { waiting = resolve })
    for (const part of encodeFrame(chunkMessage(chunks[i], i), max)) socket.write(part)
    const ack = await acked
    if (ack.type !== 'ack') throw new Error('nack')
    bytes += chunks[i].byteLength
  }
  const seconds = (performance.now() - started) / 1000
  socket.destroy()
  await new Promise(resolve => server.close(resolve))
  return { seconds, bytes, chunks: chunks.length }
}

// ---------------------------------------------------------------- libp2p

async function overLibp2p (chunks: Uint8Array[], sink: ChunkSink, receiver: MdswarmPeer, sender: MdswarmPeer): Promise<Measured> {
  await receiver.unhandle(FRAMES_PROTOCOL)
  await receiver.handle(FRAMES_PROTOCOL, (stream) => serveStream<ChunkMessage>(stream, {
    validate: validateChunkMessage,
    onMessage: async chunk => await sink.accept(chunk)
  }))
  const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], FRAMES_PROTOCOL)
  const started = performance.now()
  let bytes = 0
  for (let i = 0; i < chunks.length; i++) {
    const ack = await request(stream, chunkMessage(chunks[i], i), AbortSignal.timeout(60_000), { validate: validateChunkAck })
    if (ack.type !== 'ack') throw new Error('nack')
    bytes += chunks[i].byteLength
  }
  const seconds = (performance.now() - started) / 1000
  await stream.close()
  return { seconds, bytes, chunks: chunks.length }
}

// ---------------------------------------------------------------- run

const receiver = await createPeer({ privateKey: await loadOrCreatePrivateKey(path.join(workdir, 'receiver')), listen: ['/ip4/127.0.0.1/tcp/0'], network: 'bench', role: 'coordinator' })
const sender = await createPeer({ privateKey: await loadOrCreatePrivateKey(path.join(workdir, 'sender')), network: 'bench', role: 'node' })
await sender.dial(receiver.getMultiaddrs()[0])

const rows: Array<Array<string | number>> = []
let dbCounter = 0
try {
  for (const atoms of flags.atoms!.split(',').map(Number)) {
    const one = makeChunk(atoms, 0)
    const count = Math.max(20, Math.min(maxChunks, Math.ceil(targetBytes / one.byteLength)))
    const chunks = Array.from({ length: count }, (_, i) => makeChunk(atoms, i))
    const label = `${atoms} atoms × ${framesPerChunk} frames (${(one.byteLength / 1e6).toFixed(3)} MB)`
    const runs: Array<[string, () => Promise<Measured>]> = [
      ['raw TCP, no write (baseline)', async () => await overRawTcp(chunks, new ChunkSink(false))],
      ['raw TCP + LevelDB sync', async () => { const s = new ChunkSink(true); await s.open(`tcp-${atoms}-${dbCounter++}`); try { return await overRawTcp(chunks, s) } finally { await s.close() } }],
      ['libp2p, no write', async () => await overLibp2p(chunks, new ChunkSink(false), receiver, sender)],
      ['libp2p + LevelDB sync', async () => { const s = new ChunkSink(true); await s.open(`p2p-${atoms}-${dbCounter++}`); try { return await overLibp2p(chunks, s, receiver, sender) } finally { await s.close() } }]
    ]
    // Warm-up (JIT, connection, LevelDB code paths).
    await overRawTcp(chunks.slice(0, 5), new ChunkSink(false))
    await overLibp2p(chunks.slice(0, 5), new ChunkSink(false), receiver, sender)
    const seconds: number[][] = runs.map(() => [])
    for (let r = 0; r < repeats; r++) {
      for (let k = 0; k < runs.length; k++) seconds[k].push((await runs[k][1]()).seconds)
    }
    const totalBytes = chunks.reduce((sum, c) => sum + c.byteLength, 0)
    const baseline = totalBytes / 1e6 / median(seconds[0])
    runs.forEach(([name], k) => {
      const s = median(seconds[k])
      const mbPerS = totalBytes / 1e6 / s
      rows.push([label, name, count, mbPerS, count / s, s / count * 1000, mbPerS / baseline])
    })
  }
} finally {
  await sender.stop()
  await receiver.stop()
  fs.rmSync(workdir, { recursive: true, force: true })
}

console.log(`\nIngest: chunks acknowledged one at a time over one connection on loopback (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})\n`)
printTable(['chunk', 'path', 'chunks', 'MB/s', 'chunks/s', 'ms/chunk', '× raw TCP'], rows)
console.log(`(median of ${repeats} runs per path; × raw TCP is the ratio of MB/s to the raw TCP baseline without writes)`)
// gossipsub leaves a timer behind after stop(); do not linger for it.
setTimeout(() => process.exit(0), 200).unref()
