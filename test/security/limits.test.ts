/**
 * The building blocks of the coordinator's bounds, in process: per-peer
 * rate limiting (delay, then refuse; peers independent; memory bounded),
 * plausibility checks on uploaded frames, the allow-list's invariants, and
 * the size limits applied at submit.
 */
import test from 'ava'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Level } from 'level'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { RateLimiter } from '../../coordinator/security/rate-limiter.ts'
import { checkResultFrames, DEFAULT_RESULT_CHECKS } from '../../coordinator/ingest/result-sanity.ts'
import { AllowList } from '../../coordinator/security/allow-list.ts'
import { CoordinatorStore } from '../../coordinator/store/coordinator-store.ts'
import { prepareSubmission } from '../../coordinator/submit/prepare-submission.ts'
import { blobHash } from '../../coordinator/store/blob-hash.ts'
import type { Frame } from '../../src/engine/frame.ts'
import { ala2Inputs } from '../swarm/helpers/inputs.ts'

function tempDir (t: { teardown: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-limits-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  return dir
}

async function newPeerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

test('rate limiter: a burst passes, then requests wait, then they are refused; peers are independent', t => {
  let now = 0
  const limiter = new RateLimiter({ ratePerSecond: 10, burst: 5, maxWaitMs: 300, now: () => now })
  for (let i = 0; i < 5; i++) t.is(limiter.reserve('a'), 0)
  const waits = [limiter.reserve('a'), limiter.reserve('a'), limiter.reserve('a')]
  t.deepEqual(waits, [100, 200, 300])
  t.is(limiter.reserve('a'), -1, 'beyond maxWaitMs the request is refused')
  t.is(limiter.refused, 1)
  t.is(limiter.reserve('b'), 0, 'another peer is not slowed down')
  now += 1000
  t.is(limiter.reserve('a'), 0, 'tokens come back with time')
})

test('rate limiter: memory stays bounded under many peer ids', t => {
  let now = 0
  const limiter = new RateLimiter({ ratePerSecond: 1, burst: 1, maxWaitMs: 0, maxPeers: 100, now: () => now })
  for (let i = 0; i < 10_000; i++) { limiter.reserve(`peer${i}`); now += 1 }
  t.true(limiter.size <= 100)
})

test('rate limiter: take() waits for the token', async t => {
  // A frozen clock: no token comes back on its own, so the second request must wait (20 ms of real time).
  const limiter = new RateLimiter({ ratePerSecond: 50, burst: 1, maxWaitMs: 1000, now: () => 0 })
  t.true(await limiter.take('x'))
  t.true(await limiter.take('x'))
  t.is(limiter.delayed, 1, 'the second request waited for its token')
})

function frame (overrides: Partial<Frame> = {}): Frame {
  return { step: 10, timePs: 0.02, positionsNm: new Float32Array([0, 0.1, 0.2, 1, 1.1, 1.2]), box: null, potentialEnergy: -10, kineticEnergy: 5, temperatureK: 300, ...overrides }
}

test('result checks: plausible frames pass; NaN, infinities, blown-up energies, flung atoms, bad boxes and time reversal are refused', t => {
  t.notThrows(() => { checkResultFrames([frame(), frame({ step: 20, timePs: 0.04, box: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]) })]) })
  const bad: Array<[string, Frame[]]> = [
    ['NaN position', [frame({ positionsNm: new Float32Array([Number.NaN, 0, 0, 0, 0, 0]) })]],
    ['infinite position', [frame({ positionsNm: new Float32Array([Number.POSITIVE_INFINITY, 0, 0, 0, 0, 0]) })]],
    ['NaN energy', [frame({ potentialEnergy: Number.NaN })]],
    ['infinite kinetic energy', [frame({ kineticEnergy: Number.POSITIVE_INFINITY })]],
    ['blown-up energy', [frame({ potentialEnergy: 1e30 })]],
    ['negative kinetic energy', [frame({ kineticEnergy: -1 })]],
    ['negative temperature', [frame({ temperatureK: -5 })]],
    ['flung atom', [frame({ positionsNm: new Float32Array([1e6, 0, 0, 0, 0, 0]) })]],
    ['zero box edge', [frame({ box: new Float64Array([0, 0, 0, 0, 3, 0, 0, 0, 3]) })]],
    ['time backwards', [frame({ timePs: 1 }), frame({ timePs: 0.5 })]]
  ]
  for (const [label, frames] of bad) {
    const err = t.throws(() => { checkResultFrames(frames, DEFAULT_RESULT_CHECKS) }, undefined, label)
    t.is(err?.name, 'ImplausibleResultError', label)
  }
})

test('allow-list: the owner is the first admin once; the last admin cannot be removed; bad peer ids are refused', async t => {
  const db = new Level<string, unknown>(path.join(tempDir(t), 'db'), { valueEncoding: 'json' })
  await db.open()
  t.teardown(async () => { await db.close() })
  const owner = await newPeerId()
  const other = await newPeerId()
  const list = await AllowList.open(db, owner)
  t.true(list.isAdmin(owner))
  t.false(list.isAllowed(other))
  await list.allow(other, { by: owner })
  t.true(list.isAllowed(other))
  t.false(list.isAdmin(other))
  t.is((await t.throwsAsync(list.revoke(owner)))?.name, 'LastAdminError')
  t.is((await t.throwsAsync(list.allow('not-a-peer-id', { by: owner })))?.name, 'InvalidPeerIdError')
  await list.allow(other, { by: owner, admin: true })
  t.true(await list.revoke(owner))
  t.false(await list.revoke(owner), 'revoking twice changes nothing')
  // Reopened: the revoked owner stays revoked (the first-start grant happens once).
  const reopened = await AllowList.open(db, owner)
  t.false(reopened.isAllowed(owner))
  t.true(reopened.isAdmin(other))
})

test('submit limits: too many atoms, steps or PDB bytes are refused with InvalidSystemError / InvalidJobSpecError', async t => {
  const store = await CoordinatorStore.open(path.join(tempDir(t), 'db'))
  t.teardown(async () => { await store.close() })
  const inputs = ala2Inputs()
  const enc = new TextEncoder()
  const hashes: Record<string, string> = {}
  for (const [name, text] of Object.entries({ system: inputs.systemXml, integrator: inputs.integratorXml, pdb: inputs.pdb })) {
    const bytes = enc.encode(text)
    hashes[name] = blobHash(bytes)
    await store.batch().putBlob(hashes[name], bytes).write()
  }
  const spec = { systemHash: hashes.system, integratorHash: hashes.integrator, pdbHash: hashes.pdb, steps: 1000, reportEvery: 10 }
  t.is((await prepareSubmission(store, spec, 'me')).atoms, 22)
  t.is((await t.throwsAsync(prepareSubmission(store, spec, 'me', { maxAtoms: 10 })))?.name, 'InvalidSystemError')
  t.is((await t.throwsAsync(prepareSubmission(store, spec, 'me', { maxSteps: 999 })))?.name, 'InvalidJobSpecError')
  t.is((await t.throwsAsync(prepareSubmission(store, spec, 'me', { maxPdbBytes: 100 })))?.name, 'InvalidJobSpecError')
  t.is((await t.throwsAsync(prepareSubmission(store, spec, 'me', { maxXmlBytes: 100 })))?.name, 'XmlParseError')
})

test('submit: an entity-expansion ("billion laughs") System XML is refused before anything expands', async t => {
  const store = await CoordinatorStore.open(path.join(tempDir(t), 'db'))
  t.teardown(async () => { await store.close() })
  const laughs = '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n<System openmmVersion="7.7" type="System" version="1"><Particles><Particle mass="&lol3;"/></Particles></System>\n'
  const inputs = ala2Inputs()
  const enc = new TextEncoder()
  const put = async (text: string): Promise<string> => { const bytes = enc.encode(text); const hash = blobHash(bytes); await store.batch().putBlob(hash, bytes).write(); return hash }
  const spec = { systemHash: await put(laughs), integratorHash: await put(inputs.integratorXml), pdbHash: await put(inputs.pdb), steps: 100, reportEvery: 10 }
  t.is((await t.throwsAsync(prepareSubmission(store, spec, 'me')))?.name, 'XmlParseError')
})
