/**
 * Group commit in the coordinator's store: concurrent transitions share disk
 * writes, each sees what the previous one staged, answers come only after the
 * write, and everything is there after a reopen.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { CoordinatorStore } from '../../coordinator/store/coordinator-store.ts'
import { WorkQueue } from '../../coordinator/queue/work-queue.ts'
import { codecChunkInspector } from '../../coordinator/ingest/codec-inspector.ts'
import { blobHash } from '../../coordinator/store/blob-hash.ts'
import { chunkOf, cpuNode, tempDir } from './helpers.ts'

const ATOMS = 4
const root = tempDir('group-commit')
test.after.always(() => { fs.rmSync(root, { recursive: true, force: true }) })

async function open (folder: string): Promise<{ store: CoordinatorStore, queue: WorkQueue }> {
  const store = await CoordinatorStore.open(folder)
  return { store, queue: new WorkQueue(store, { leaseTtlMs: 10_000, chunkInspector: codecChunkInspector }) }
}

test('concurrent claims, chunks and completions share writes and all survive a reopen', async (t) => {
  const folder = path.join(root, 'db')
  const { store, queue } = await open(folder)
  const blobs = [new TextEncoder().encode('<System/>'), new TextEncoder().encode('<Integrator/>'), new TextEncoder().encode('ATOM')]
  const batch = store.batch()
  for (const bytes of blobs) batch.putBlob(blobHash(bytes), bytes)
  await batch.write({ sync: true })
  const payload = { systemHash: blobHash(blobs[0]), integratorHash: blobHash(blobs[1]), pdbHash: blobHash(blobs[2]) }
  const units = 40
  const jobs = await queue.submit({ submittedBy: 'test', payload, requirements: { engine: 'any', forceTypes: ['HarmonicBondForce', 'NonbondedForce'] }, steps: 20, reportEvery: 10, stepSizePs: 0.002, atoms: ATOMS, replicas: units })
  const before = { ...store.commitStats }

  // Every node claims at once: no unit is leased twice.
  const leases = await Promise.all(Array.from({ length: units }, async (_, i) => await queue.claim(`node${i % 4}`, cpuNode())))
  const leasedIds = leases.map(l => l.type === 'lease' ? l.lease.unitId : 'none')
  t.is(new Set(leasedIds).size, units)
  t.false(leasedIds.includes('none'))
  // A transition sees the one before it even while the write is pending: a further claim finds nothing.
  t.like(await queue.claim('node0', cpuNode()), { type: 'refused', code: 'no-work' })

  // Chunks and completions of every unit at once; each answer comes after its (synced) write.
  const acks = await Promise.all(leases.map(async (l, i) => {
    if (l.type !== 'lease') throw new Error('no lease')
    return await queue.ingestChunk(`node${i % 4}`, { type: 'chunk', unitId: l.lease.unitId, attempt: l.lease.attempt, firstFrame: 0, frameCount: 2, data: chunkOf(0, 2, ATOMS, 10) })
  }))
  t.true(acks.every(a => a.type === 'ack' && !a.duplicate))
  const done = await Promise.all(leases.map(async (l, i) => {
    if (l.type !== 'lease') throw new Error('no lease')
    return await queue.complete(`node${i % 4}`, l.lease.unitId, l.lease.attempt, payload.systemHash)
  }))
  t.true(done.every(d => d.type === 'ok'))
  const after = store.commitStats
  const transitions = after.transitions - before.transitions
  const writes = after.writes - before.writes
  t.log(`${transitions} transitions in ${writes} writes (${after.syncedWrites - before.syncedWrites} synced)`)
  t.true(writes < transitions, 'concurrent transitions share disk writes')

  await store.close()
  const reopened = await open(folder)
  t.teardown(async () => { await reopened.store.close() })
  for (const job of jobs) {
    const record = await reopened.queue.getJob(job.id)
    t.is(record.state, 'done')
    t.is(record.framesStored, 2)
  }
})
