/** The job queue against a real LevelDB in a temp folder: every unit transition, leases, ingest, persistence. */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { CoordinatorStore } from '../../coordinator/store/coordinator-store.ts'
import { WorkQueue, type JobSubmission } from '../../coordinator/queue/work-queue.ts'
import { codecChunkInspector } from '../../coordinator/ingest/codec-inspector.ts'
import { explainUnmatched, unmetRequirement } from '../../coordinator/queue/matching.ts'
import { blobHash } from '../../coordinator/store/blob-hash.ts'
import { chunkFrames, decodeFrames } from '../../src/trajectory/index.ts'

const decodeChunk = (data: Uint8Array) => chunkFrames(decodeFrames(data))
import { BUILTIN_FORCES, chunkOf, cpuNode, cudaNode, tempDir } from './helpers.ts'

const ATOMS = 4
const root = tempDir('queue')
test.after.always(() => { fs.rmSync(root, { recursive: true, force: true }) })

interface Fixture { store: CoordinatorStore, queue: WorkQueue, clock: { now: number }, dir: string, payload: JobSubmission['payload'] }

let counter = 0
async function open (dir?: string, clock = { now: 1_000_000 }): Promise<Fixture> {
  const folder = dir ?? path.join(root, `db-${counter++}`)
  const store = await CoordinatorStore.open(folder)
  const queue = new WorkQueue(store, { leaseTtlMs: 10_000, chunkInspector: codecChunkInspector, now: () => clock.now })
  const blobs = { system: new TextEncoder().encode('<System/>'), integrator: new TextEncoder().encode('<Integrator/>'), pdb: new TextEncoder().encode('ATOM') }
  const batch = store.batch()
  for (const bytes of Object.values(blobs)) batch.putBlob(blobHash(bytes), bytes)
  await batch.write()
  const payload = { systemHash: blobHash(blobs.system), integratorHash: blobHash(blobs.integrator), pdbHash: blobHash(blobs.pdb) }
  return { store, queue, clock, dir: folder, payload }
}

function spec (f: Fixture, extra: Partial<JobSubmission> = {}): JobSubmission {
  return { submittedBy: 'test', payload: f.payload, requirements: { engine: 'any', forceTypes: ['HarmonicBondForce', 'NonbondedForce'] }, steps: 100, reportEvery: 10, stepSizePs: 0.002, atoms: ATOMS, ...extra }
}

async function putCheckpoint (f: Fixture, text: string): Promise<string> {
  const bytes = new TextEncoder().encode(text)
  const hash = blobHash(bytes)
  await f.store.batch().putBlob(hash, bytes).write()
  return hash
}

test('submit stores replicas with seeds seed+i, one queued unit each, and refuses missing payloads', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const jobs = await f.queue.submit(spec(f, { replicas: 3, seed: 42, name: 'ens' }))
  t.deepEqual(jobs.map((j) => j.seed), [42, 43, 44])
  t.deepEqual(jobs.map((j) => j.name), ['ens-0', 'ens-1', 'ens-2'])
  t.is(new Set(jobs.map((j) => j.batchId)).size, 1)
  t.true(jobs.every((j) => j.state === 'queued' && j.totalFrames === 10 && j.segmentCount === 1))
  t.is((await f.queue.queuedUnitIds()).length, 3)
  const units = await f.queue.units(jobs[0].id)
  t.is(units.length, 1)
  t.is(units[0].state, 'queued')
  const missing = await t.throwsAsync(f.queue.submit(spec(f, { payload: { ...f.payload, systemHash: 'a'.repeat(64) } })))
  t.is(missing?.name, 'MissingBlobError')
  const bad = await t.throwsAsync(f.queue.submit(spec(f, { reportEvery: 1000 })))
  t.is(bad?.name, 'InvalidJobSpecError')
})

test('claims go by priority, then age; requirements are matched with reasons', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  t.like(await f.queue.claim('n1', cpuNode()), { type: 'refused', code: 'no-work' })
  const [low] = await f.queue.submit(spec(f, { priority: 0 }))
  f.clock.now += 1
  const [high] = await f.queue.submit(spec(f, { priority: 5 }))
  f.clock.now += 1
  const [cuda] = await f.queue.submit(spec(f, { priority: 10, requirements: { engine: 'any', platform: 'CUDA', forceTypes: ['NonbondedForce'] } }))
  const first = await f.queue.claim('n1', cpuNode())
  t.is(first.type === 'lease' ? first.unit.jobId : '', high.id)
  const second = await f.queue.claim('n1', cpuNode())
  t.is(second.type === 'lease' ? second.unit.jobId : '', low.id)
  const third = await f.queue.claim('n1', cpuNode())
  t.like(third, { type: 'refused', code: 'no-match' })
  t.regex(third.type === 'refused' ? third.reason : '', /needs CUDA/)
  const gpu = await f.queue.claim('g1', cudaNode())
  t.is(gpu.type === 'lease' ? gpu.unit.jobId : '', cuda.id)
  t.is((await f.queue.getJob(cuda.id)).state, 'running')
})

test('matching explains what no node has', (t) => {
  const req = { engine: 'any' as const, platform: 'CUDA', forceTypes: ['NonbondedForce'] }
  t.is(explainUnmatched(req, [cpuNode(), cpuNode(), cpuNode()]), 'needs CUDA: 0 of 3 nodes have it')
  t.is(explainUnmatched(req, []), 'no nodes are connected to this coordinator')
  t.is(explainUnmatched(req, [cpuNode(), cudaNode()]), null)
  t.is(explainUnmatched({ engine: 'any', forceTypes: ['CMAPTorsionForce'] }, [cpuNode(), cpuNode()]), 'needs CMAPTorsionForce: 0 of 2 nodes support it')
  t.is(explainUnmatched({ engine: 'openmm', forceTypes: [] }, [cpuNode()]), 'needs the openmm engine: 0 of 1 node have it')
  t.is(explainUnmatched({ engine: 'any', gpu: true, forceTypes: [] }, [cpuNode()]), 'needs a GPU: 0 of 1 node have one')
  t.is(unmetRequirement({ engine: 'builtin', forceTypes: BUILTIN_FORCES }, cpuNode()), null)
  t.is(unmetRequirement({ engine: 'builtin', forceTypes: ['CustomExternalForce'] }, cpuNode()), 'needs CustomExternalForce')
})

test('chunks: ack after durable write, duplicates acked, gaps and strangers refused, corrupt data refused', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const [job] = await f.queue.submit(spec(f))
  const claim = await f.queue.claim('n1', cpuNode())
  if (claim.type !== 'lease') return t.fail('no lease')
  const unitId = claim.unit.unitId
  const send = async (peer: string, firstFrame: number, count: number, attempt = 1, data = chunkOf(firstFrame, count, ATOMS, 10)) =>
    await f.queue.ingestChunk(peer, { type: 'chunk', unitId, attempt, firstFrame, frameCount: count, data })
  t.like(await send('n1', 0, 3), { type: 'ack', duplicate: false })
  t.like(await send('n1', 0, 3), { type: 'ack', duplicate: true })
  t.like(await send('n1', 5, 2), { type: 'nack', code: 'gap' })
  t.like(await send('n2', 3, 2), { type: 'nack', code: 'not-holder' })
  t.like(await send('n1', 3, 2, 7), { type: 'nack', code: 'stale-attempt' })
  const damaged = chunkOf(3, 2, ATOMS, 10)
  damaged[40] ^= 0xff
  t.like(await send('n1', 3, 2, 1, damaged), { type: 'nack', code: 'corrupt' })
  t.like(await send('n1', 3, 2, 1, chunkOf(3, 2, ATOMS + 1, 10)), { type: 'nack', code: 'bad-request' })
  t.like(await send('n1', 3, 2, 1, chunkOf(4, 2, ATOMS, 10)), { type: 'nack', code: 'bad-request' })
  t.like(await send('n1', 9, 2), { type: 'nack', code: 'bad-request' })
  t.like(await send('n1', 3, 7), { type: 'ack', duplicate: false })
  t.is((await f.queue.getJob(job.id)).framesStored, 10)
  const chunks = []
  for await (const chunk of f.queue.readChunks(job.id)) chunks.push(chunk)
  t.deepEqual(chunks.map((c) => [c.firstFrame, c.frameCount]), [[0, 3], [3, 7]])
  t.deepEqual(decodeChunk(chunks[1].data).map((fr) => fr.step), [40, 50, 60, 70, 80, 90, 100])
  const tail = []
  for await (const chunk of f.queue.readChunks(job.id, 5)) tail.push(chunk.firstFrame)
  t.deepEqual(tail, [3])
})

test('an expired lease requeues the unit to resume from its last checkpoint; an overlapping resend keeps only new frames', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const [job] = await f.queue.submit(spec(f))
  const first = await f.queue.claim('n1', cpuNode())
  if (first.type !== 'lease') return t.fail('no lease')
  const unitId = first.unit.unitId
  const checkpoint = await putCheckpoint(f, 'checkpoint at step 40')
  t.like(await f.queue.ingestChunk('n1', { type: 'chunk', unitId, attempt: 1, firstFrame: 0, frameCount: 4, data: chunkOf(0, 4, ATOMS, 10), checkpointHash: checkpoint, checkpointStep: 40 }), { type: 'ack' })
  t.like(await f.queue.ingestChunk('n1', { type: 'chunk', unitId, attempt: 1, firstFrame: 4, frameCount: 2, data: chunkOf(4, 2, ATOMS, 10) }), { type: 'ack' })
  f.clock.now += 5_000
  t.deepEqual((await f.queue.renew('n1', [{ unitId, attempt: 1, step: 60 }])).map((r) => r.cancel), [false])
  f.clock.now += 9_000
  t.is((await f.queue.expireLeases()).length, 0, 'renewal kept the lease')
  f.clock.now += 2_000
  const expired = await f.queue.expireLeases()
  t.deepEqual(expired.map((u) => u.state), ['queued'])
  t.deepEqual((await f.queue.renew('n1', [{ unitId, attempt: 1, step: 70 }])).map((r) => r.cancel), [true])
  t.like(await f.queue.ingestChunk('n1', { type: 'chunk', unitId, attempt: 1, firstFrame: 6, frameCount: 1, data: chunkOf(6, 1, ATOMS, 10) }), { type: 'nack', code: 'stale-attempt' })
  const second = await f.queue.claim('n2', cpuNode())
  if (second.type !== 'lease') return t.fail('no second lease')
  t.is(second.lease.attempt, 2)
  t.is(second.unit.startStep, 40)
  t.is(second.unit.firstFrameIndex, 4)
  t.is(second.unit.checkpointHash, checkpoint)
  t.like(await f.queue.ingestChunk('n2', { type: 'chunk', unitId, attempt: 2, firstFrame: 4, frameCount: 2, data: chunkOf(4, 2, ATOMS, 10) }), { type: 'ack', duplicate: true })
  t.like(await f.queue.ingestChunk('n2', { type: 'chunk', unitId, attempt: 2, firstFrame: 4, frameCount: 6, data: chunkOf(4, 6, ATOMS, 10) }), { type: 'ack', duplicate: false })
  const starts = []
  for await (const chunk of f.queue.readChunks(job.id)) starts.push([chunk.firstFrame, chunk.frameCount, decodeChunk(chunk.data)[0].step])
  t.deepEqual(starts, [[0, 4, 10], [4, 2, 50], [6, 4, 70]])
  const events = await f.store.eventsOfJob(job.id)
  t.true(events.some((e) => e.kind === 'requeued'))
})

test('segments chain through checkpoints; the job is done after the last', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const [job] = await f.queue.submit(spec(f, { steps: 100, segmentSteps: 40 }))
  t.is(job.segmentCount, 3)
  const run = async (peer: string, expect: { start: number, end: number, frame: number, frames: number }, checkpoint: string) => {
    const claim = await f.queue.claim(peer, cpuNode())
    if (claim.type !== 'lease') throw new Error('no lease')
    t.like(claim.unit, { startStep: expect.start, endStep: expect.end, firstFrameIndex: expect.frame })
    t.like(await f.queue.complete(peer, claim.unit.unitId, 1, checkpoint), { type: 'refused', code: 'bad-request' }, 'frames missing')
    t.like(await f.queue.ingestChunk(peer, { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: expect.frame, frameCount: expect.frames, data: chunkOf(expect.frame, expect.frames, ATOMS, 10) }), { type: 'ack' })
    return claim
  }
  const c0 = await run('n1', { start: 0, end: 40, frame: 0, frames: 4 }, 'x')
  t.like(await f.queue.complete('n1', c0.unit.unitId, 1, 'b'.repeat(64)), { type: 'refused', code: 'bad-request' }, 'checkpoint not uploaded')
  const chk1 = await putCheckpoint(f, 'end of segment 0')
  t.like(await f.queue.complete('n1', c0.unit.unitId, 1, chk1), { type: 'ok' })
  t.like(await f.queue.complete('n1', c0.unit.unitId, 1, chk1), { type: 'ok' }, 'idempotent')
  const c1 = await run('n2', { start: 40, end: 80, frame: 4, frames: 4 }, 'x')
  t.is(c1.unit.checkpointHash, chk1)
  const chk2 = await putCheckpoint(f, 'end of segment 1')
  t.like(await f.queue.complete('n2', c1.unit.unitId, 1, chk2), { type: 'ok' })
  const c2 = await run('n1', { start: 80, end: 100, frame: 8, frames: 2 }, 'x')
  t.like(await f.queue.complete('n1', c2.unit.unitId, 1, 'c'.repeat(64)), { type: 'ok' }, 'last checkpoint need not be uploaded')
  const done = await f.queue.getJob(job.id)
  t.is(done.state, 'done')
  t.is(done.framesStored, 10)
  t.deepEqual((await f.queue.units(job.id)).map((u) => u.state), ['done', 'done', 'done'])
})

test('a last chunk that carries `complete` stores its frames and ends the unit in one write; a resend is answered completed', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const [job] = await f.queue.submit(spec(f, { steps: 80, segmentSteps: 40 }))
  const first = await f.queue.claim('n1', cpuNode())
  if (first.type !== 'lease') throw new Error('no lease')
  const unitId = first.unit.unitId
  const chunk = { type: 'chunk' as const, unitId, attempt: 1, firstFrame: 0, frameCount: 4, data: chunkOf(0, 4, ATOMS, 10) }
  t.like(await f.queue.ingestChunk('n1', { ...chunk, complete: { checkpointHash: 'b'.repeat(64), frames: 4 } }), { type: 'ack', duplicate: false, completed: false },
    'a checkpoint that was not uploaded: frames stored, the end refused')
  t.is((await f.queue.units(job.id))[0].nextFrame, 4)
  t.is((await f.queue.units(job.id))[0].state, 'leased')
  const checkpoint = await putCheckpoint(f, 'end of segment 0')
  t.like(await f.queue.ingestChunk('n2', { ...chunk, complete: { checkpointHash: checkpoint, frames: 4 } }), { type: 'ack', duplicate: true, completed: false }, 'not the holder')
  t.like(await f.queue.ingestChunk('n1', { ...chunk, complete: { checkpointHash: checkpoint, frames: 4 } }), { type: 'ack', duplicate: true, completed: true }, 'resend ends the unit')
  t.like(await f.queue.ingestChunk('n1', { ...chunk, complete: { checkpointHash: checkpoint, frames: 4 } }), { type: 'ack', duplicate: true, completed: true }, 'and again: already ended')
  t.like(await f.queue.complete('n1', unitId, 1, checkpoint), { type: 'ok' }, 'a separate complete after it is ok')

  const second = await f.queue.claim('n2', cpuNode())
  if (second.type !== 'lease') throw new Error('no lease')
  t.is(second.unit.checkpointHash, checkpoint)
  const events: string[] = []
  f.queue.on('events', (list) => { for (const e of list) events.push(e.kind) })
  t.like(await f.queue.ingestChunk('n2', { type: 'chunk', unitId: second.unit.unitId, attempt: 1, firstFrame: 4, frameCount: 4, data: chunkOf(4, 4, ATOMS, 10), complete: { checkpointHash: 'c'.repeat(64), frames: 4 } }),
    { type: 'ack', duplicate: false, completed: true }, 'the last unit of a job needs no uploaded checkpoint')
  const done = await f.queue.getJob(job.id)
  t.is(done.state, 'done')
  t.is(done.framesStored, 8)
  t.deepEqual(events, ['unit-done', 'done'])
  t.deepEqual((await f.queue.units(job.id)).map((u) => u.state), ['done', 'done'])
  const stored: number[] = []
  for await (const c of f.queue.readChunks(job.id)) stored.push(c.firstFrame, c.frameCount)
  t.deepEqual(stored, [0, 4, 4, 4])
})

test('failures retry on another node up to the limit, then the job fails with the reason', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const [job] = await f.queue.submit(spec(f))
  const others = [{ peerId: 'n1', capabilities: cpuNode() }, { peerId: 'n2', capabilities: cpuNode() }]
  const a1 = await f.queue.claim('n1', cpuNode(), { otherNodes: others })
  if (a1.type !== 'lease') return t.fail('no lease')
  t.like(await f.queue.fail('n1', a1.unit.unitId, 1, { reason: 'energy became NaN at step 12', errorName: 'SimulationBlowUpError', retryable: true }), { type: 'ok' })
  t.like(await f.queue.fail('n1', a1.unit.unitId, 1, { reason: 'again', errorName: 'X', retryable: true }), { type: 'refused', code: 'stale' })
  t.like(await f.queue.claim('n1', cpuNode(), { otherNodes: others }), { type: 'refused' }, 'not given back to the node it failed on while another could run it')
  const a2 = await f.queue.claim('n2', cpuNode(), { otherNodes: others })
  if (a2.type !== 'lease') return t.fail('no retry lease')
  t.is(a2.lease.attempt, 2)
  await f.queue.fail('n2', a2.unit.unitId, 2, { reason: 'energy became NaN at step 12', errorName: 'SimulationBlowUpError', retryable: true })
  const a3 = await f.queue.claim('n1', cpuNode(), { otherNodes: others })
  if (a3.type !== 'lease') return t.fail('no third lease (every node failed it once)')
  await f.queue.fail('n1', a3.unit.unitId, 3, { reason: 'energy became NaN at step 12', errorName: 'SimulationBlowUpError', retryable: true })
  const failed = await f.queue.getJob(job.id)
  t.is(failed.state, 'failed')
  t.is(failed.failure?.errorName, 'SimulationBlowUpError')
  t.is(failed.failure?.reason, 'energy became NaN at step 12')
  t.like(await f.queue.claim('n1', cpuNode()), { type: 'refused', code: 'no-work' })

  const [other] = await f.queue.submit(spec(f))
  const b1 = await f.queue.claim('n1', cpuNode())
  if (b1.type !== 'lease') return t.fail('no lease')
  await f.queue.fail('n1', b1.unit.unitId, 1, { reason: 'System XML has no particles', errorName: 'InvalidSystemError', retryable: false })
  t.is((await f.queue.getJob(other.id)).state, 'failed', 'not retryable: fails at once')
})

test('a unit whose leases keep expiring without progress fails its job instead of cycling forever; progress resets the count', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const [job] = await f.queue.submit(spec(f))
  const expireOnce = async (node: string, withProgress?: { step: number, frame: number }): Promise<void> => {
    const lease = await f.queue.claim(node, cpuNode())
    if (lease.type !== 'lease') throw new Error(`no lease: ${JSON.stringify(lease)}`)
    if (withProgress !== undefined) {
      const checkpoint = await putCheckpoint(f, `checkpoint at step ${withProgress.step}`)
      const { firstFrameIndex } = lease.unit
      const frames = withProgress.frame - firstFrameIndex
      const ack = await f.queue.ingestChunk(node, { type: 'chunk', unitId: lease.unit.unitId, attempt: lease.lease.attempt, firstFrame: firstFrameIndex, frameCount: frames, data: chunkOf(firstFrameIndex, frames, ATOMS, 10), checkpointHash: checkpoint, checkpointStep: withProgress.step })
      if (ack.type !== 'ack') throw new Error(`chunk refused: ${JSON.stringify(ack)}`)
    }
    f.clock.now += 11_000
    await f.queue.expireLeases()
  }
  for (let i = 0; i < 4; i++) await expireOnce(`n${i}`)
  t.is((await f.queue.getJob(job.id)).state, 'running', 'four silent expiries: still requeued')
  await expireOnce('n4', { step: 20, frame: 2 })
  t.is((await f.queue.units(job.id))[0].stalledLeases, 0, 'a checkpoint during the lease resets the count')
  for (let i = 0; i < 4; i++) await expireOnce(`m${i}`)
  t.is((await f.queue.getJob(job.id)).state, 'running')
  await expireOnce('m4')
  const failed = await f.queue.getJob(job.id)
  t.is(failed.state, 'failed')
  t.is(failed.failure?.errorName, 'LeaseExpiredError')
  t.regex(failed.failure?.reason ?? '', /expired 5 times in a row without progress past step 20/)
  t.is((await f.queue.units(job.id))[0].state, 'failed')
  t.like(await f.queue.claim('n1', cpuNode()), { type: 'refused', code: 'no-work' })
})

test('cancel stops queued and leased units; renewals say cancel; chunks are refused', async (t) => {
  const f = await open()
  t.teardown(async () => { await f.store.close() })
  const [a, b] = await f.queue.submit(spec(f, { replicas: 2 }))
  const claim = await f.queue.claim('n1', cpuNode())
  if (claim.type !== 'lease') return t.fail('no lease')
  const leasedJob = claim.unit.jobId
  const queuedJob = leasedJob === a.id ? b.id : a.id
  t.is((await f.queue.cancel(leasedJob)).state, 'cancelled')
  t.is((await f.queue.cancel(queuedJob, 'wrong temperature')).cancelReason, 'wrong temperature')
  t.deepEqual((await f.queue.renew('n1', [{ unitId: claim.unit.unitId, attempt: 1, step: 10 }])).map((r) => r.cancel), [true])
  t.like(await f.queue.ingestChunk('n1', { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: 0, frameCount: 1, data: chunkOf(0, 1, ATOMS, 10) }), { type: 'nack', code: 'cancelled' })
  t.deepEqual((await f.queue.units(queuedJob)).map((u) => u.state), ['cancelled'])
  t.deepEqual(await f.queue.queuedUnitIds(), [])
  t.like(await f.queue.claim('n1', cpuNode()), { type: 'refused', code: 'no-work' })
  const missing = await t.throwsAsync(f.queue.cancel('jnothere'))
  t.is(missing?.name, 'JobNotFoundError')
})

test('state survives closing and reopening the database; leases get a fresh TTL on recovery', async (t) => {
  const clock = { now: 5_000_000 }
  const f = await open(undefined, clock)
  const [job] = await f.queue.submit(spec(f, { replicas: 2 }))
  const claim = await f.queue.claim('n1', cpuNode())
  if (claim.type !== 'lease') return t.fail('no lease')
  await f.queue.ingestChunk('n1', { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: 0, frameCount: 2, data: chunkOf(0, 2, ATOMS, 10) })
  await f.store.close()
  clock.now += 60_000
  const g = await open(f.dir, clock)
  t.teardown(async () => { await g.store.close() })
  t.is(await g.queue.recoverLeases(), 1)
  t.is((await g.queue.expireLeases()).length, 0)
  const jobs = await g.queue.listJobs()
  t.is(jobs.length, 2)
  const leased = await g.queue.getJob(claim.unit.jobId)
  t.is(leased.framesStored, 2)
  t.is(leased.state, 'running')
  t.is((await g.queue.queuedUnitIds()).length, 1)
  t.like(await g.queue.ingestChunk('n1', { type: 'chunk', unitId: claim.unit.unitId, attempt: 1, firstFrame: 2, frameCount: 1, data: chunkOf(2, 1, ATOMS, 10) }), { type: 'ack', duplicate: false })
  t.true(jobs.some((j) => j.id === job.id))
})
