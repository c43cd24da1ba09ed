import test from 'ava'
import {
  validateBlobRequest, validateBlobResponse, validateChunkAck, validateChunkMessage, validateClaimRequest,
  validateClaimResponse, validateOfferMessage, validateStatusMessage
} from '../../src/wire/validate.ts'
import { encodeMessage, decodeMessage } from '../../src/wire/cbor.ts'

const hash = 'ab'.repeat(32)
const requirements = { engine: 'builtin', forceTypes: ['HarmonicBondForce', 'NonbondedForce'] }
const capabilities = { engines: { builtin: { version: '0.1.0', platforms: ['cpu'], forceTypes: ['HarmonicBondForce'] } }, concurrency: 2, cpuCores: 4, memoryBytes: 8_000_000_000, gpus: [{ name: 'A100', memoryBytes: 40e9, driver: '535' }] }
const unit = { unitId: 'u1', jobId: 'j1', segmentIndex: 0, startStep: 0, endStep: 1000, reportEvery: 100, firstFrameIndex: 0, seed: 42, systemHash: hash, integratorHash: hash, pdbHash: hash, checkpointHash: hash, keepAtoms: [0, 1, 2], requirements }

const valid: Array<[string, (v: unknown) => unknown, unknown]> = [
  ['offer', validateOfferMessage, { type: 'offer', unitId: 'u1', jobId: 'j1', requirements, steps: 1000, atoms: 22, priority: 0 }],
  ['status', validateStatusMessage, { type: 'status', role: 'node', capabilities, running: ['u1'], nsPerDay: 12.5, sentAt: Date.now() }],
  ['claim', validateClaimRequest, { type: 'claim', capabilities }],
  ['claim with unit', validateClaimRequest, { type: 'claim', capabilities, unitId: 'u1' }],
  ['claim that may wait for work', validateClaimRequest, { type: 'claim', capabilities, waitMs: 2500 }],
  ['renew', validateClaimRequest, { type: 'renew', leases: [{ unitId: 'u1', attempt: 1, step: 500 }] }],
  ['complete', validateClaimRequest, { type: 'complete', unitId: 'u1', attempt: 1, checkpointHash: hash, frames: 10 }],
  ['fail', validateClaimRequest, { type: 'fail', unitId: 'u1', attempt: 1, reason: 'blew up\nat step 5', errorName: 'SimulationBlowUpError', retryable: false }],
  ['lease', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: Date.now() }, unit }],
  ['refused', validateClaimResponse, { type: 'refused', code: 'no-work', reason: '' }],
  ['renewed', validateClaimResponse, { type: 'renewed', leases: [{ unitId: 'u1', attempt: 1, expiresAt: 1, cancel: true }] }],
  ['ok', validateClaimResponse, { type: 'ok' }],
  ['blob get', validateBlobRequest, { type: 'get', hash }],
  ['blob put', validateBlobRequest, { type: 'put', hash, bytes: new Uint8Array(10), unitId: 'u1', attempt: 1 }],
  ['blob', validateBlobResponse, { type: 'blob', hash, bytes: new Uint8Array(10) }],
  ['stored', validateBlobResponse, { type: 'stored', hash }],
  ['blob error', validateBlobResponse, { type: 'error', code: 'not-found', reason: 'no such blob' }],
  ['chunk', validateChunkMessage, { type: 'chunk', unitId: 'u1', attempt: 1, firstFrame: 0, frameCount: 5, data: new Uint8Array(100), checkpointHash: hash, checkpointStep: 500 }],
  ['ack', validateChunkAck, { type: 'ack', unitId: 'u1', firstFrame: 0, duplicate: false }],
  ['nack', validateChunkAck, { type: 'nack', unitId: 'u1', firstFrame: 0, code: 'gap', reason: 'expected frame 5' }],
  ['claim for several units', validateClaimRequest, { type: 'claim', capabilities, waitMs: 2500, count: 8 }],
  ['lease with more', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: 5 }, unit, more: [{ lease: { unitId: 'u2', attempt: 1, expiresAt: 5 }, unit: { ...unit, unitId: 'u2' } }] }]
]

for (const [name, validate, message] of valid) {
  test(`valid ${name} passes, also after a CBOR round trip`, t => {
    t.is(validate(message), message)
    t.deepEqual(validate(decodeMessage(encodeMessage(message))), message)
  })
}

/** Every mutation of a valid message that must be refused, with the field it names. */
const invalid: Array<[string, (v: unknown) => unknown, unknown, string]> = [
  ['unknown field', validateOfferMessage, { ...valid[0][2] as object, extra: 1 }, 'extra'],
  ['missing field', validateOfferMessage, { type: 'offer', unitId: 'u1', jobId: 'j1', requirements, steps: 1000, atoms: 22 }, 'priority'],
  ['wrong type', validateOfferMessage, { ...valid[0][2] as object, type: 'status' }, 'type'],
  ['NaN', validateOfferMessage, { ...valid[0][2] as object, priority: NaN }, 'priority'],
  ['Infinity', validateStatusMessage, { ...valid[1][2] as object, nsPerDay: Infinity }, 'nsPerDay'],
  ['negative count', validateOfferMessage, { ...valid[0][2] as object, steps: -5 }, 'steps'],
  ['fractional count', validateOfferMessage, { ...valid[0][2] as object, atoms: 2.5 }, 'atoms'],
  ['unknown engine', validateOfferMessage, { ...valid[0][2] as object, requirements: { engine: 'gromacs', forceTypes: [] } }, 'requirements.engine'],
  ['nested unknown field', validateClaimRequest, { type: 'claim', capabilities: { ...capabilities, hacked: true } }, 'capabilities.hacked'],
  ['claim wait too long', validateClaimRequest, { type: 'claim', capabilities, waitMs: 3_600_000 }, 'waitMs'],
  ['zero concurrency', validateClaimRequest, { type: 'claim', capabilities: { ...capabilities, concurrency: 0 } }, 'capabilities.concurrency'],
  ['string for number', validateClaimRequest, { type: 'complete', unitId: 'u1', attempt: '1', checkpointHash: hash, frames: 10 }, 'attempt'],
  ['bad hash', validateClaimRequest, { type: 'complete', unitId: 'u1', attempt: 1, checkpointHash: 'xyz', frames: 10 }, 'checkpointHash'],
  ['fields of another variant', validateClaimRequest, { type: 'renew', leases: [], capabilities }, 'capabilities'],
  ['unknown type', validateClaimRequest, { type: 'steal' }, 'type'],
  ['not a map', validateClaimRequest, [1, 2, 3], ''],
  ['bytes instead of map', validateClaimRequest, new Uint8Array(3), ''],
  ['null', validateClaimRequest, null, ''],
  ['long id', validateClaimRequest, { type: 'complete', unitId: 'u'.repeat(1000), attempt: 1, checkpointHash: hash, frames: 1 }, 'unitId'],
  ['empty id', validateClaimRequest, { type: 'complete', unitId: '', attempt: 1, checkpointHash: hash, frames: 1 }, 'unitId'],
  ['control characters in id', validateClaimRequest, { type: 'complete', unitId: 'u\u0000', attempt: 1, checkpointHash: hash, frames: 1 }, 'unitId'],
  ['too many leases', validateClaimRequest, { type: 'renew', leases: Array.from({ length: 5000 }, () => ({ unitId: 'u', attempt: 1, step: 1 })) }, 'leases'],
  ['end before start', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: 1 }, unit: { ...unit, endStep: 0 } }, 'unit.endStep'],
  ['zero reportEvery', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: 1 }, unit: { ...unit, reportEvery: 0 } }, 'unit.reportEvery'],
  ['negative atom index', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: 1 }, unit: { ...unit, keepAtoms: [0, -1] } }, 'unit.keepAtoms[1]'],
  ['unknown refusal code', validateClaimResponse, { type: 'refused', code: 'nope', reason: '' }, 'code'],
  ['blob too big', (v: unknown) => validateBlobRequest(v, 16), { type: 'put', hash, bytes: new Uint8Array(17), unitId: 'u1', attempt: 1 }, 'bytes'],
  ['chunk data not bytes', validateChunkMessage, { type: 'chunk', unitId: 'u1', attempt: 1, firstFrame: 0, frameCount: 5, data: [1, 2] }, 'data'],
  ['chunk data too big', (v: unknown) => validateChunkMessage(v, 50), { type: 'chunk', unitId: 'u1', attempt: 1, firstFrame: 0, frameCount: 5, data: new Uint8Array(51) }, 'data'],
  ['checkpoint hash without step', validateChunkMessage, { type: 'chunk', unitId: 'u1', attempt: 1, firstFrame: 0, frameCount: 5, data: new Uint8Array(1), checkpointHash: hash }, 'checkpointStep'],
  ['zero frames', validateChunkMessage, { type: 'chunk', unitId: 'u1', attempt: 1, firstFrame: 0, frameCount: 0, data: new Uint8Array(1) }, 'frameCount'],
  ['nack code', validateChunkAck, { type: 'nack', unitId: 'u1', firstFrame: 0, code: 'whatever', reason: '' }, 'code'],
  ['claim count zero', validateClaimRequest, { type: 'claim', capabilities, count: 0 }, 'count'],
  ['claim count too large', validateClaimRequest, { type: 'claim', capabilities, count: 9 }, 'count'],
  ['too many more leases', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: 5 }, unit, more: Array.from({ length: 8 }, (_, i) => ({ lease: { unitId: `m${i}`, attempt: 1, expiresAt: 5 }, unit })) }, 'more'],
  ['bad unit in more', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: 5 }, unit, more: [{ lease: { unitId: 'u2', attempt: 1, expiresAt: 5 }, unit: { ...unit, reportEvery: 0 } }] }, 'more[0].unit.reportEvery'],
  ['extra field in more', validateClaimResponse, { type: 'lease', lease: { unitId: 'u1', attempt: 1, expiresAt: 5 }, unit, more: [{ lease: { unitId: 'u2', attempt: 1, expiresAt: 5 }, unit, x: 1 }] }, 'more[0].x']
]

for (const [name, validate, message, field] of invalid) {
  test(`invalid (${name}) is WireFormatError naming ${field === '' ? 'the message' : field}`, t => {
    const err = t.throws(() => validate(message))
    t.is(err?.name, 'WireFormatError')
    t.is((err as unknown as { field: string }).field, field)
  })
}
