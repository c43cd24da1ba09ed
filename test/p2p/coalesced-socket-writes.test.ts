/**
 * coalesceSocketWritesPerTick (src/p2p/coalesced-socket-writes.ts) on real
 * TCP sockets over 127.0.0.1: writes made in one tick leave together once the
 * tick ends, bytes arrive whole and in order, and back-pressure still works.
 */
import test from 'ava'
import net from 'node:net'
import { coalesceSocketWritesPerTick } from '../../src/p2p/coalesced-socket-writes.ts'

coalesceSocketWritesPerTick()

async function connectedPair (t: { teardown: (fn: () => void) => void }): Promise<{ client: net.Socket, received: () => Buffer, whenReceived: (bytes: number) => Promise<void> }> {
  const chunks: Buffer[] = []
  let total = 0
  let waiter: { bytes: number, resolve: () => void } | null = null
  const server = net.createServer(socket => {
    socket.on('data', (data: Buffer) => {
      chunks.push(data)
      total += data.byteLength
      if (waiter !== null && total >= waiter.bytes) waiter.resolve()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  const client = net.connect(port, '127.0.0.1')
  await new Promise<void>(resolve => client.once('connect', () => { resolve() }))
  t.teardown(() => { client.destroy(); server.close() })
  return {
    client,
    received: () => Buffer.concat(chunks),
    whenReceived: async (bytes: number) => { if (total < bytes) await new Promise<void>(resolve => { waiter = { bytes, resolve } }) }
  }
}

test('writes of one tick are held until the tick ends, then arrive whole and in order', async t => {
  const { client, received, whenReceived } = await connectedPair(t)
  client.write(Buffer.from('length:'))
  t.is(client.writableCorked, 1, 'held while the tick runs')
  client.write(Buffer.from('ciphertext;'))
  client.write(Buffer.from('length:ciphertext'))
  t.is(client.writableCorked, 1)
  await new Promise(resolve => process.nextTick(resolve))
  t.is(client.writableCorked, 0, 'released when the tick ends')
  await whenReceived(35)
  t.is(received().toString(), 'length:ciphertext;length:ciphertext')
})

test('pipes are left alone: what a process prints right before it exits is not held back', async t => {
  const { spawnSync } = await import('node:child_process')
  const module = new URL('../../src/p2p/coalesced-socket-writes.ts', import.meta.url).pathname
  const script = `import { coalesceSocketWritesPerTick } from ${JSON.stringify(module)}; coalesceSocketWritesPerTick(); process.stdout.write('printed'); process.exit(0)`
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })
  t.is(run.status, 0, run.stderr)
  t.is(run.stdout, 'printed')
})

test('large writes keep their back-pressure: write() says full, drain follows, nothing is lost', async t => {
  const { client, received, whenReceived } = await connectedPair(t)
  const block = Buffer.alloc(4 * 1024 * 1024, 9)
  let full = false
  for (let i = 0; i < 4; i++) full = !client.write(block) || full
  t.true(full, 'a socket holding 16 MiB reports it is full')
  await new Promise<void>(resolve => client.once('drain', () => { resolve() }))
  await whenReceived(16 * 1024 * 1024)
  t.is(received().byteLength, 16 * 1024 * 1024)
  t.true(received().every(b => b === 9))
})
