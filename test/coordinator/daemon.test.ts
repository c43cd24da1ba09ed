/**
 * The coordinator daemon in a child process, a client (the library) and a
 * test peer that behaves like a node (claims, uploads a checkpoint, streams
 * chunks) in the test process: submit, jobs, status, peers, cancel, fetch,
 * and kill -9 + restart keeping jobs and acknowledged chunks.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { connect, type MdswarmClient } from '../../src/index.ts'
import { createPeer, type MdswarmPeer } from '../../src/p2p/create-peer.ts'
import { sendRequest } from '../../src/p2p/request.ts'
import { request } from '../../src/wire/framing.ts'
import { BLOB_PROTOCOL, CLAIM_PROTOCOL, FRAMES_PROTOCOL } from '../../src/wire/constants.ts'
import { validateBlobResponse, validateChunkAck, validateClaimResponse } from '../../src/wire/validate.ts'
import { sha256Hex } from '../../src/wire/hash.ts'
import { parseMultiaddr } from '../../src/p2p/create-peer.ts'
import type { ClaimResponse } from '../../src/wire/messages.ts'
import { BUILTIN_FORCES, chunkOf, cpuNode, repoRoot, tempDir } from './helpers.ts'
import { exited, startCoordinator, type CoordinatorProcess } from './coordinator-process.ts'

const run = promisify(execFile)
const example = (name: string): string => fs.readFileSync(path.join(repoRoot, 'examples/ala2', name), 'utf8')
const ATOMS = 22

const home = tempDir('daemon')
const children: CoordinatorProcess[] = []
const closers: Array<() => Promise<void>> = []
test.after.always(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined)
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL')
  fs.rmSync(home, { recursive: true, force: true })
})

async function client (): Promise<MdswarmClient> {
  const c = await connect({ home })
  closers.push(async () => { await c.close() })
  return c
}

async function nodePeer (): Promise<MdswarmPeer> {
  const peer = await createPeer({ privateKey: await generateKeyPair('Ed25519'), listen: [], network: 'default', role: 'node' })
  closers.push(async () => { await peer.stop() })
  return peer
}

async function mdswarm (...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [path.join(repoRoot, 'bin/mdswarm.mjs'), ...args, '--home', home], { timeout: 120_000 })
  return stdout
}

test.serial('submit, jobs, status, peers, cancel over the control protocol; kill -9 keeps jobs and acknowledged chunks', async (t) => {
  let coordinator = await startCoordinator(home, ['--lease-seconds', '20'])
  children.push(coordinator)
  const address = coordinator.info.multiaddrs[0]
  const firstPeerId = coordinator.info.peerId
  t.regex(address, /\/p2p\//)

  // submit through the CLI: --json shape
  const submitted = JSON.parse(await mdswarm('submit', '--system', path.join(repoRoot, 'examples/ala2/system.xml'), '--integrator', path.join(repoRoot, 'examples/ala2/integrator.xml'),
    '--pdb', path.join(repoRoot, 'examples/ala2/ala2.pdb'), '--steps', '1000', '--report-every', '100', '--segment-steps', '500', '--replicas', '2', '--seed', '11', '--name', 'ala', '--json'))
  t.is(submitted.jobs.length, 2)
  t.deepEqual(submitted.jobs.map((j: { seed: number }) => j.seed), [11, 12])
  t.true(submitted.jobs.every((j: { id: string, state: string }) => typeof j.id === 'string' && j.state === 'queued'))

  const c = await client()
  // the library: a third job, same payloads (stored once), higher priority
  const [urgent] = await c.submit({ systemXml: example('system.xml'), integratorXml: example('integrator.xml'), pdb: example('ala2.pdb'), steps: 1000, reportEvery: 100, segmentSteps: 500, seed: 99, priority: 10, name: 'urgent' })
  t.is(urgent.summary.segments, 2)
  t.true(urgent.summary.requirements.forceTypes.includes('NonbondedForce'))
  t.is(urgent.summary.atoms, ATOMS)
  t.is(urgent.summary.waitingReason, 'no nodes are connected to this coordinator')
  const jobs = await c.jobs()
  t.is(jobs.length, 3)
  const bad = await t.throwsAsync(c.status('jnosuchjob'))
  t.is(bad?.name, 'JobNotFoundError')
  const badSubmit = await t.throwsAsync(c.submit({ systemXml: '<System><Particles>', integratorXml: example('integrator.xml'), pdb: example('ala2.pdb'), steps: 10, reportEvery: 5 }))
  t.is(badSubmit?.name, 'XmlParseError')

  // a test peer claims like a node: highest priority first
  const node = await nodePeer()
  const claim = await sendRequest<ClaimResponse>(node, address, CLAIM_PROTOCOL, { type: 'claim', capabilities: cpuNode(BUILTIN_FORCES) }, { validate: validateClaimResponse })
  if (claim.type !== 'lease') return t.fail(`no lease: ${JSON.stringify(claim)}`)
  t.is(claim.unit.jobId, urgent.id)
  t.like(claim.unit, { startStep: 0, endStep: 500, firstFrameIndex: 0, seed: 99 })
  const inputs = await sendRequest(node, address, BLOB_PROTOCOL, { type: 'get', hash: claim.unit.systemHash }, { validate: (v) => validateBlobResponse(v) })
  t.is(inputs.type, 'blob')

  const peers = JSON.parse(await mdswarm('peers', '--json')).peers
  t.deepEqual(peers.map((p: { role: string }) => p.role).sort(), ['coordinator', 'node'])
  const nodeEntry = peers.find((p: { role: string }) => p.role === 'node')
  t.is(nodeEntry.peerId, node.peerId.toString())
  t.deepEqual(nodeEntry.running, [claim.unit.unitId])
  t.is(nodeEntry.concurrency, 2)
  t.true(typeof nodeEntry.lastHeartbeat === 'number' && Array.isArray(nodeEntry.addresses))
  t.deepEqual(Object.keys(nodeEntry.engines), ['builtin'])

  // frames: 3 frames with a checkpoint at step 300, then 1 frame without, each acknowledged durably
  const checkpoint = new TextEncoder().encode('checkpoint at step 300')
  const put = await sendRequest(node, address, BLOB_PROTOCOL, { type: 'put', hash: sha256Hex(checkpoint), bytes: checkpoint, unitId: claim.unit.unitId, attempt: claim.lease.attempt }, { validate: (v) => validateBlobResponse(v) })
  t.is(put.type, 'stored')
  const frames = await node.dialProtocol(parseMultiaddr(address), FRAMES_PROTOCOL)
  const ack1 = await request(frames, { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: 0, frameCount: 3, data: chunkOf(0, 3, ATOMS, 100), checkpointHash: sha256Hex(checkpoint), checkpointStep: 300 }, AbortSignal.timeout(30_000), { validate: validateChunkAck })
  t.like(ack1, { type: 'ack', duplicate: false })
  const ack2 = await request(frames, { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: 3, frameCount: 1, data: chunkOf(3, 1, ATOMS, 100) }, AbortSignal.timeout(30_000), { validate: validateChunkAck })
  t.like(ack2, { type: 'ack', duplicate: false })
  await frames.close()

  // cancel one of the CLI jobs
  const cancelled = await c.cancel(submitted.jobs[1].id)
  t.is(cancelled.state, 'cancelled')

  // partial fetch while running
  const partial = []
  for await (const frame of c.frames(urgent.id)) partial.push(frame.step)
  t.deepEqual(partial, [100, 200, 300, 400])

  // kill -9 and restart on the same home
  coordinator.child.kill('SIGKILL')
  t.is(await exited(coordinator.child), 'SIGKILL')
  coordinator = await startCoordinator(home, ['--lease-seconds', '20'])
  children.push(coordinator)
  const address2 = coordinator.info.multiaddrs[0]
  t.is(coordinator.info.peerId, firstPeerId, 'stable identity from the home')

  const after = await c.jobs()
  t.deepEqual(after.map((j) => [j.id, j.state]), jobs.map((j) => [j.id, j.id === submitted.jobs[1].id ? 'cancelled' : j.id === urgent.id ? 'running' : 'queued']))
  const status = await c.status(urgent.id)
  t.is(status.job.framesStored, 4)
  t.is(status.units[0].resumeStep, 300)
  t.is(status.units[0].lease?.peerId, node.peerId.toString())
  const kept = []
  for await (const frame of c.frames(urgent.id)) kept.push(frame.step)
  t.deepEqual(kept, [100, 200, 300, 400])

  // the node goes on with its lease: renew, last frame, final checkpoint, complete → segment 2 is queued from it
  const renewed = await sendRequest<ClaimResponse>(node, address2, CLAIM_PROTOCOL, { type: 'renew', leases: [{ unitId: claim.unit.unitId, attempt: 1, step: 450 }] }, { validate: validateClaimResponse })
  t.like(renewed, { type: 'renewed' })
  if (renewed.type === 'renewed') t.false(renewed.leases[0].cancel)
  const frames2 = await node.dialProtocol(parseMultiaddr(address2), FRAMES_PROTOCOL)
  t.like(await request(frames2, { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: 3, frameCount: 1, data: chunkOf(3, 1, ATOMS, 100) }, AbortSignal.timeout(30_000), { validate: validateChunkAck }), { type: 'ack', duplicate: true })
  t.like(await request(frames2, { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: 4, frameCount: 1, data: chunkOf(4, 1, ATOMS, 100) }, AbortSignal.timeout(30_000), { validate: validateChunkAck }), { type: 'ack', duplicate: false })
  await frames2.close()
  const final = new TextEncoder().encode('checkpoint at step 500')
  await sendRequest(node, address2, BLOB_PROTOCOL, { type: 'put', hash: sha256Hex(final), bytes: final, unitId: claim.unit.unitId, attempt: 1 }, { validate: (v) => validateBlobResponse(v) })
  t.like(await sendRequest(node, address2, CLAIM_PROTOCOL, { type: 'complete', unitId: claim.unit.unitId, attempt: 1, checkpointHash: sha256Hex(final), frames: 5 }, { validate: validateClaimResponse }), { type: 'ok' })
  const next = await sendRequest<ClaimResponse>(node, address2, CLAIM_PROTOCOL, { type: 'claim', capabilities: cpuNode(BUILTIN_FORCES) }, { validate: validateClaimResponse })
  if (next.type !== 'lease') return t.fail('no second segment')
  t.like(next.unit, { jobId: urgent.id, segmentIndex: 1, startStep: 500, firstFrameIndex: 5, checkpointHash: sha256Hex(final) })

  // cancel reaches the running unit on its next renewal
  await c.cancel(urgent.id, 'enough sampling')
  const told = await sendRequest<ClaimResponse>(node, address2, CLAIM_PROTOCOL, { type: 'renew', leases: [{ unitId: next.unit.unitId, attempt: 1, step: 600 }] }, { validate: validateClaimResponse })
  if (told.type === 'renewed') t.true(told.leases[0].cancel)
  else t.fail('no renewal')
  const seen: string[] = []
  c.on('cancelled', (job) => seen.push(job.id))
  const [waited] = await c.waitAll([urgent.id])
  t.is(waited.state, 'cancelled')
  t.deepEqual(seen, [urgent.id])

  // the remaining job runs to the end while the library waits on it: progress, then completed
  const remaining = submitted.jobs[0].id as string
  const progress: number[] = []
  const completed: string[] = []
  c.on('progress', (job) => { if (job.id === remaining) progress.push(job.framesStored) })
  c.on('completed', (job) => completed.push(job.id))
  const waiting = c.waitAll([remaining])
  const frames3 = await node.dialProtocol(parseMultiaddr(address2), FRAMES_PROTOCOL)
  for (let segment = 0; segment < 2; segment++) {
    const lease = await sendRequest<ClaimResponse>(node, address2, CLAIM_PROTOCOL, { type: 'claim', capabilities: cpuNode(BUILTIN_FORCES) }, { validate: validateClaimResponse })
    if (lease.type !== 'lease') return t.fail('no lease for the remaining job')
    t.is(lease.unit.jobId, remaining)
    t.like(await request(frames3, { type: 'chunk', unitId: lease.unit.unitId, attempt: 1, firstFrame: 5 * segment, frameCount: 5, data: chunkOf(5 * segment, 5, ATOMS, 100) }, AbortSignal.timeout(30_000), { validate: validateChunkAck }), { type: 'ack' })
    const end = new TextEncoder().encode(`end of segment ${segment}`)
    await sendRequest(node, address2, BLOB_PROTOCOL, { type: 'put', hash: sha256Hex(end), bytes: end, unitId: lease.unit.unitId, attempt: 1 }, { validate: (v) => validateBlobResponse(v) })
    t.like(await sendRequest(node, address2, CLAIM_PROTOCOL, { type: 'complete', unitId: lease.unit.unitId, attempt: 1, checkpointHash: sha256Hex(end), frames: 5 }, { validate: validateClaimResponse }), { type: 'ok' })
  }
  await frames3.close()
  const [done] = await waiting
  t.is(done.state, 'done')
  t.deepEqual(completed, [remaining])
  t.is(progress.at(-1), 10)
  const all = []
  for await (const frame of c.frames(remaining)) all.push(frame.step)
  t.deepEqual(all, [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000])
  const fetched = JSON.parse(await mdswarm('fetch', remaining, '-o', path.join(home, 'out.dcd'), '--topology', path.join(home, 'out.pdb'), '--json'))
  t.like(fetched, { frames: 10, totalFrames: 10, complete: true })
  t.true(fs.statSync(path.join(home, 'out.dcd')).size > 10 * 3 * 4 * ATOMS)
  t.regex(fs.readFileSync(path.join(home, 'out.pdb'), 'utf8'), /ATOM/)

  // SIGTERM: clean shutdown, exit code 0
  coordinator.child.kill('SIGTERM')
  t.is(await exited(coordinator.child), 0)
})
