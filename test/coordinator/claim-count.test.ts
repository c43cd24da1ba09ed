/** A claim for several units (`count`, short units): one answer carries up to that many leases, from what is queued. */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { CoordinatorStore } from '../../coordinator/store/coordinator-store.ts'
import { WorkQueue } from '../../coordinator/queue/work-queue.ts'
import { PeerTable } from '../../coordinator/peers/peer-table.ts'
import { handleClaimRequest } from '../../coordinator/protocols/claim-handler.ts'
import { codecChunkInspector } from '../../coordinator/ingest/codec-inspector.ts'
import { blobHash } from '../../coordinator/store/blob-hash.ts'
import { validateClaimResponse } from '../../src/wire/validate.ts'
import { cpuNode, tempDir } from './helpers.ts'

const root = tempDir('claim-count')
test.after.always(() => { fs.rmSync(root, { recursive: true, force: true }) })

test('count leases up to that many queued units in one answer, each once; a lone claim still gets one', async t => {
  const store = await CoordinatorStore.open(path.join(root, 'db'))
  t.teardown(async () => { await store.close() })
  const queue = new WorkQueue(store, { leaseTtlMs: 10_000, chunkInspector: codecChunkInspector })
  const blobs = [new TextEncoder().encode('<System/>'), new TextEncoder().encode('<Integrator/>'), new TextEncoder().encode('ATOM')]
  const batch = store.batch()
  for (const bytes of blobs) batch.putBlob(blobHash(bytes), bytes)
  await batch.write()
  const [systemHash, integratorHash, pdbHash] = blobs.map(b => blobHash(b))
  await queue.submit({ submittedBy: 'test', payload: { systemHash, integratorHash, pdbHash }, requirements: { engine: 'any', forceTypes: ['NonbondedForce'] }, steps: 10, reportEvery: 10, stepSizePs: 0.002, atoms: 4, replicas: 6 })
  const deps = { queue, peers: new PeerTable({ liveForMs: 60_000 }), signal: new AbortController().signal, claimParkMs: 0 }

  const first = validateClaimResponse(await handleClaimRequest(deps, 'n1', { type: 'claim', capabilities: cpuNode(), count: 4 }))
  if (first.type !== 'lease') return t.fail(`no lease: ${JSON.stringify(first)}`)
  t.is(first.more?.length, 3)
  const lone = await handleClaimRequest(deps, 'n2', { type: 'claim', capabilities: cpuNode() })
  if (lone.type !== 'lease') return t.fail('no lease')
  t.is(lone.more, undefined)
  const rest = await handleClaimRequest(deps, 'n1', { type: 'claim', capabilities: cpuNode(), count: 8 })
  if (rest.type !== 'lease') return t.fail('no lease')
  t.is(rest.more, undefined, 'one unit was left: a lease without more')
  const ids = [first.unit.unitId, ...(first.more ?? []).map(g => g.unit.unitId), lone.unit.unitId, rest.unit.unitId, ...(rest.more ?? []).map(g => g.unit.unitId)]
  t.is(ids.length, 6)
  t.is(new Set(ids).size, 6, 'every unit leased once')
  for (const grant of [first, ...(first.more ?? [])]) t.is((await store.getUnit(grant.unit.unitId))?.lease?.peerId, 'n1')
  t.like(await handleClaimRequest(deps, 'n3', { type: 'claim', capabilities: cpuNode(), count: 2 }), { type: 'refused', code: 'no-work' })
})
