/**
 * Protocol fuzz soak: a local swarm (coordinator + nodes as real processes,
 * loopback, temp homes) under as many hostile messages as you like, in
 * rounds, printing the daemons' resident memory after each round so a leak
 * shows as a trend. Exits non-zero if a daemon died, memory grew past the
 * bound, or anything was accepted that should not have been.
 *
 *   npx tsx scripts/fuzz-soak.ts [--messages 200000] [--rounds 10] [--peers 8] [--concurrency 8] [--seed N] [--max-growth-mb 300]
 *
 * The default test run sends about 10^4 (test/security/fuzz.test.ts).
 */
import '../src/polyfill.ts'
import fs from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { connect } from '../src/client/index.ts'
import { createPeer, type MdswarmPeer } from '../src/p2p/create-peer.ts'
import { startLocalSwarm } from './local-swarm.ts'
import { runProtocolFuzz } from './fuzz/protocol-fuzzer.ts'

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '10' },
    peers: { type: 'string', default: '8' },
    concurrency: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    'max-growth-mb': { type: 'string', default: '300' }
  }
})
const messages = Number(values.messages)
const rounds = Math.max(1, Number(values.rounds))
const maxGrowthMiB = Number(values['max-growth-mb'])

function rssMiB (pid: number | undefined): number {
  if (pid === undefined) return Number.NaN
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? Number.NaN : Number(match[1]) / 1024
  } catch {
    return Number.NaN
  }
}

const alive = (child: { exitCode: number | null, signalCode: NodeJS.Signals | null }): boolean => child.exitCode === null && child.signalCode === null

const swarm = await startLocalSwarm({ nodes: 1, concurrency: 1, prefix: 'mdswarm-fuzz-soak' })
const peers: MdswarmPeer[] = []
let failed = false
try {
  for (let i = 0; i < Number(values.peers); i++) peers.push(await createPeer({ privateKey: await generateKeyPair('Ed25519'), network: 'default', role: 'client' }))
  const admin = await connect({ coordinator: swarm.address, home: path.join(swarm.root, 'coordinator') })
  await admin.allowClient(peers[0].peerId.toString())
  await admin.close()
  const nodeAddress = swarm.nodes[0].lines.map(l => { try { return JSON.parse(l) as { event?: string, multiaddrs?: string[] } } catch { return {} } }).find(e => e.event === 'started')?.multiaddrs?.[0]
  const target = { coordinator: swarm.address, gossipTargets: nodeAddress !== undefined ? [nodeAddress] : [] }

  await runProtocolFuzz(target, { messages: 500, peers, seed: 1 })
  const baseline = { coordinator: rssMiB(swarm.coordinator.child.pid), node: rssMiB(swarm.nodes[0].child.pid) }
  console.log(`baseline RSS: coordinator ${baseline.coordinator.toFixed(0)} MiB, node ${baseline.node.toFixed(0)} MiB`)
  const started = Date.now()
  let total = 0
  for (let round = 1; round <= rounds; round++) {
    const stats = await runProtocolFuzz(target, { messages: Math.ceil(messages / rounds), peers, seed: Number(values.seed) * 1000 + round, concurrency: Number(values.concurrency) })
    total += stats.messages
    const now = { coordinator: rssMiB(swarm.coordinator.child.pid), node: rssMiB(swarm.nodes[0].child.pid) }
    const accepted = (stats.responses['frames:ack'] ?? 0) + (stats.responses['blob:stored'] ?? 0) + (stats.responses['control:submitted'] ?? 0) + (stats.responses['control:blob-stored'] ?? 0)
    console.log(`round ${round}/${rounds}: ${total} messages in ${((Date.now() - started) / 1000).toFixed(0)} s; RSS coordinator ${now.coordinator.toFixed(0)} MiB, node ${now.node.toFixed(0)} MiB; ${stats.streamErrors} streams reset; ${accepted} accepted`)
    if (!alive(swarm.coordinator.child) || !alive(swarm.nodes[0].child)) { console.error('a daemon died'); failed = true; break }
    if (accepted > 0) { console.error('hostile messages were accepted'); failed = true; break }
    if (now.coordinator - baseline.coordinator > maxGrowthMiB || now.node - baseline.node > maxGrowthMiB) { console.error(`memory grew more than ${maxGrowthMiB} MiB`); failed = true; break }
  }
  const client = await connect({ coordinator: swarm.address, home: path.join(swarm.root, 'coordinator') })
  const jobs = await client.jobs()
  await client.close()
  if (jobs.length > 0) { console.error(`${jobs.length} job(s) appeared from the fuzz`); failed = true }
  console.log(failed ? 'FAILED' : `ok: ${total} hostile messages, both daemons alive, nothing stored`)
} finally {
  await Promise.allSettled(peers.map(async p => { await p.stop() }))
  await swarm.stop()
}
process.exit(failed ? 1 : 0)
