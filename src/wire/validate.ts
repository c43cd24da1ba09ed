/**
 * One validator per wire message type (messages.ts). Each takes a decoded,
 * untrusted value and returns it typed, or throws WireFormatError naming the
 * offending field: unknown fields, wrong types, out-of-range or non-finite
 * numbers, oversized strings, arrays or byte strings are all refused.
 */
import type {
  BlobRequest, BlobResponse, Capabilities, ChunkAck, ChunkMessage, ClaimRequest, ClaimResponse,
  Lease, OfferMessage, Requirements, StatusMessage, UnitSpec
} from './messages.ts'
import {
  BLOB_MAX_MESSAGE_BYTES, FRAMES_MAX_MESSAGE_BYTES, MAX_FORCE_TYPES, MAX_KEEP_ATOMS,
  MAX_CLAIM_WAIT_MS, MAX_LEASES_PER_CLAIM, MAX_LEASES_PER_RENEW, MAX_RUNNING_UNITS
} from './constants.ts'
import { WireFormatError } from './errors.ts'
import {
  boolean, bytes, contentHash, fieldPath, finite, id, integer, list, object, oneOf, optional, prose, record, text
} from './schema.ts'

const MAX_ENGINES = 16
const MAX_PLATFORMS = 16
const MAX_GPUS = 64
const MAX_CONCURRENCY = 4096
const MAX_ATOMS = 100_000_000
const MAX_ATTEMPT = 1_000_000
const MAX_NS_PER_DAY = 1e9
const MAX_ENGINE_NAME_LENGTH = 64
/** Trajectory precision bounds, nm (as src/trajectory/chunk.ts accepts). */
const MIN_PRECISION_NM = 1e-7
const MAX_PRECISION_NM = 1

function forceTypes (value: unknown, field: string): string[] {
  return list(value, field, MAX_FORCE_TYPES, (v, f) => text(v, f, MAX_ENGINE_NAME_LENGTH))
}

export function validateRequirements (value: unknown, field = ''): Requirements {
  const fields = object(value, field, ['engine', 'forceTypes'], ['platform', 'gpu'])
  oneOf(fields.engine, fieldPath(field, 'engine'), ['builtin', 'openmm', 'any'] as const)
  forceTypes(fields.forceTypes, fieldPath(field, 'forceTypes'))
  optional(fields, 'platform', field, (v, f) => text(v, f, MAX_ENGINE_NAME_LENGTH))
  optional(fields, 'gpu', field, boolean)
  return value as Requirements
}

export function validateCapabilities (value: unknown, field = ''): Capabilities {
  const fields = object(value, field, ['engines', 'concurrency', 'cpuCores', 'memoryBytes', 'gpus'])
  record(fields.engines, fieldPath(field, 'engines'), MAX_ENGINES, (engine, f) => {
    const e = object(engine, f, ['version', 'platforms', 'forceTypes'])
    text(e.version, fieldPath(f, 'version'), MAX_ENGINE_NAME_LENGTH)
    list(e.platforms, fieldPath(f, 'platforms'), MAX_PLATFORMS, (v, pf) => text(v, pf, MAX_ENGINE_NAME_LENGTH))
    forceTypes(e.forceTypes, fieldPath(f, 'forceTypes'))
    return e
  })
  integer(fields.concurrency, fieldPath(field, 'concurrency'), 1, MAX_CONCURRENCY)
  integer(fields.cpuCores, fieldPath(field, 'cpuCores'), 1, MAX_CONCURRENCY)
  integer(fields.memoryBytes, fieldPath(field, 'memoryBytes'), 0)
  list(fields.gpus, fieldPath(field, 'gpus'), MAX_GPUS, (gpu, f) => {
    const g = object(gpu, f, ['name', 'memoryBytes', 'driver'])
    text(g.name, fieldPath(f, 'name'))
    integer(g.memoryBytes, fieldPath(f, 'memoryBytes'), 0)
    prose(g.driver, fieldPath(f, 'driver'), 128)
    return g
  })
  return value as Capabilities
}

export function validateUnitSpec (value: unknown, field = ''): UnitSpec {
  const fields = object(value, field,
    ['unitId', 'jobId', 'segmentIndex', 'startStep', 'endStep', 'reportEvery', 'firstFrameIndex', 'seed', 'systemHash', 'integratorHash', 'pdbHash', 'requirements'],
    ['stateHash', 'checkpointHash', 'keepAtoms', 'precisionNm', 'lossless', 'lastSegment'])
  const f = (key: string): string => fieldPath(field, key)
  id(fields.unitId, f('unitId'))
  id(fields.jobId, f('jobId'))
  integer(fields.segmentIndex, f('segmentIndex'))
  const startStep = integer(fields.startStep, f('startStep'))
  const endStep = integer(fields.endStep, f('endStep'))
  if (endStep <= startStep) throw new WireFormatError(`endStep ${endStep} is not after startStep ${startStep}`, f('endStep'))
  integer(fields.reportEvery, f('reportEvery'), 1)
  integer(fields.firstFrameIndex, f('firstFrameIndex'))
  integer(fields.seed, f('seed'))
  contentHash(fields.systemHash, f('systemHash'))
  contentHash(fields.integratorHash, f('integratorHash'))
  contentHash(fields.pdbHash, f('pdbHash'))
  optional(fields, 'stateHash', field, contentHash)
  optional(fields, 'checkpointHash', field, contentHash)
  optional(fields, 'keepAtoms', field, (v, kf) => list(v, kf, MAX_KEEP_ATOMS, (atom, af) => integer(atom, af, 0, MAX_ATOMS)))
  optional(fields, 'precisionNm', field, (v, pf) => finite(v, pf, MIN_PRECISION_NM, MAX_PRECISION_NM))
  optional(fields, 'lossless', field, boolean)
  optional(fields, 'lastSegment', field, boolean)
  validateRequirements(fields.requirements, f('requirements'))
  return value as UnitSpec
}

export function validateLease (value: unknown, field = ''): Lease {
  const fields = object(value, field, ['unitId', 'attempt', 'expiresAt'])
  id(fields.unitId, fieldPath(field, 'unitId'))
  integer(fields.attempt, fieldPath(field, 'attempt'), 0, MAX_ATTEMPT)
  integer(fields.expiresAt, fieldPath(field, 'expiresAt'))
  return value as Lease
}

// ---------------------------------------------------------------- gossip

export function validateOfferMessage (value: unknown): OfferMessage {
  const fields = object(value, '', ['type', 'unitId', 'jobId', 'requirements', 'steps', 'atoms', 'priority'])
  oneOf(fields.type, 'type', ['offer'] as const)
  id(fields.unitId, 'unitId')
  id(fields.jobId, 'jobId')
  validateRequirements(fields.requirements, 'requirements')
  integer(fields.steps, 'steps', 1)
  integer(fields.atoms, 'atoms', 1, MAX_ATOMS)
  finite(fields.priority, 'priority')
  return value as OfferMessage
}

export function validateStatusMessage (value: unknown): StatusMessage {
  const fields = object(value, '', ['type', 'role', 'running', 'nsPerDay', 'sentAt'], ['capabilities'])
  oneOf(fields.type, 'type', ['status'] as const)
  oneOf(fields.role, 'role', ['node', 'coordinator'] as const)
  optional(fields, 'capabilities', '', validateCapabilities)
  list(fields.running, 'running', MAX_RUNNING_UNITS, id)
  finite(fields.nsPerDay, 'nsPerDay', 0, MAX_NS_PER_DAY)
  integer(fields.sentAt, 'sentAt')
  return value as StatusMessage
}

// ---------------------------------------------------------------- /mdswarm/claim/1

export function validateClaimRequest (value: unknown): ClaimRequest {
  const type = oneOf(object(value, '', ['type'], ['capabilities', 'unitId', 'waitMs', 'count', 'leases', 'attempt', 'checkpointHash', 'frames', 'reason', 'errorName', 'retryable']).type,
    'type', ['claim', 'renew', 'complete', 'fail'] as const)
  switch (type) {
    case 'claim': {
      const fields = object(value, '', ['type', 'capabilities'], ['unitId', 'waitMs', 'count'])
      validateCapabilities(fields.capabilities, 'capabilities')
      optional(fields, 'unitId', '', id)
      optional(fields, 'waitMs', '', (v, f) => { integer(v, f, 0, MAX_CLAIM_WAIT_MS) })
      optional(fields, 'count', '', (v, f) => { integer(v, f, 1, MAX_LEASES_PER_CLAIM) })
      break
    }
    case 'renew': {
      const fields = object(value, '', ['type', 'leases'])
      list(fields.leases, 'leases', MAX_LEASES_PER_RENEW, (lease, f) => {
        const l = object(lease, f, ['unitId', 'attempt', 'step'])
        id(l.unitId, fieldPath(f, 'unitId'))
        integer(l.attempt, fieldPath(f, 'attempt'), 0, MAX_ATTEMPT)
        integer(l.step, fieldPath(f, 'step'))
        return l
      })
      break
    }
    case 'complete': {
      const fields = object(value, '', ['type', 'unitId', 'attempt', 'checkpointHash', 'frames'])
      id(fields.unitId, 'unitId')
      integer(fields.attempt, 'attempt', 0, MAX_ATTEMPT)
      contentHash(fields.checkpointHash, 'checkpointHash')
      integer(fields.frames, 'frames')
      break
    }
    case 'fail': {
      const fields = object(value, '', ['type', 'unitId', 'attempt', 'reason', 'errorName', 'retryable'])
      id(fields.unitId, 'unitId')
      integer(fields.attempt, 'attempt', 0, MAX_ATTEMPT)
      prose(fields.reason, 'reason')
      text(fields.errorName, 'errorName')
      boolean(fields.retryable, 'retryable')
      break
    }
  }
  return value as ClaimRequest
}

export function validateClaimResponse (value: unknown): ClaimResponse {
  const type = oneOf(object(value, '', ['type'], ['lease', 'unit', 'more', 'code', 'reason', 'leases']).type,
    'type', ['lease', 'refused', 'renewed', 'ok'] as const)
  switch (type) {
    case 'lease': {
      const fields = object(value, '', ['type', 'lease', 'unit'], ['more'])
      validateLease(fields.lease, 'lease')
      validateUnitSpec(fields.unit, 'unit')
      optional(fields, 'more', '', (v, f) => list(v, f, MAX_LEASES_PER_CLAIM - 1, (grant, g) => {
        const entry = object(grant, g, ['lease', 'unit'])
        validateLease(entry.lease, fieldPath(g, 'lease'))
        validateUnitSpec(entry.unit, fieldPath(g, 'unit'))
        return entry
      }))
      break
    }
    case 'refused': {
      const fields = object(value, '', ['type', 'code', 'reason'])
      oneOf(fields.code, 'code', ['no-work', 'no-match', 'not-allowed', 'rate-limited', 'bad-request', 'stale'] as const)
      prose(fields.reason, 'reason')
      break
    }
    case 'renewed': {
      const fields = object(value, '', ['type', 'leases'])
      list(fields.leases, 'leases', MAX_LEASES_PER_RENEW, (lease, f) => {
        const l = object(lease, f, ['unitId', 'attempt', 'expiresAt', 'cancel'])
        id(l.unitId, fieldPath(f, 'unitId'))
        integer(l.attempt, fieldPath(f, 'attempt'), 0, MAX_ATTEMPT)
        integer(l.expiresAt, fieldPath(f, 'expiresAt'))
        boolean(l.cancel, fieldPath(f, 'cancel'))
        return l
      })
      break
    }
    case 'ok':
      object(value, '', ['type'])
      break
  }
  return value as ClaimResponse
}

// ---------------------------------------------------------------- /mdswarm/blob/1

/** Envelope room around a blob's bytes within one message. */
const BLOB_ENVELOPE_BYTES = 4096

export function validateBlobRequest (value: unknown, maxBlobBytes = BLOB_MAX_MESSAGE_BYTES - BLOB_ENVELOPE_BYTES): BlobRequest {
  const type = oneOf(object(value, '', ['type'], ['hash', 'bytes', 'unitId', 'attempt']).type, 'type', ['get', 'put'] as const)
  if (type === 'get') {
    const fields = object(value, '', ['type', 'hash'])
    contentHash(fields.hash, 'hash')
  } else {
    const fields = object(value, '', ['type', 'hash', 'bytes', 'unitId', 'attempt'])
    contentHash(fields.hash, 'hash')
    bytes(fields.bytes, 'bytes', maxBlobBytes)
    id(fields.unitId, 'unitId')
    integer(fields.attempt, 'attempt', 0, MAX_ATTEMPT)
  }
  return value as BlobRequest
}

export function validateBlobResponse (value: unknown, maxBlobBytes = BLOB_MAX_MESSAGE_BYTES - BLOB_ENVELOPE_BYTES): BlobResponse {
  const type = oneOf(object(value, '', ['type'], ['hash', 'bytes', 'code', 'reason']).type, 'type', ['blob', 'stored', 'error'] as const)
  switch (type) {
    case 'blob': {
      const fields = object(value, '', ['type', 'hash', 'bytes'])
      contentHash(fields.hash, 'hash')
      bytes(fields.bytes, 'bytes', maxBlobBytes)
      break
    }
    case 'stored': {
      const fields = object(value, '', ['type', 'hash'])
      contentHash(fields.hash, 'hash')
      break
    }
    case 'error': {
      const fields = object(value, '', ['type', 'code', 'reason'])
      text(fields.code, 'code', 64)
      prose(fields.reason, 'reason')
      break
    }
  }
  return value as BlobResponse
}

// ---------------------------------------------------------------- /mdswarm/frames/1

const CHUNK_ENVELOPE_BYTES = 4096

export function validateChunkMessage (value: unknown, maxChunkBytes = FRAMES_MAX_MESSAGE_BYTES - CHUNK_ENVELOPE_BYTES): ChunkMessage {
  const fields = object(value, '', ['type', 'unitId', 'attempt', 'firstFrame', 'frameCount', 'data'], ['checkpointHash', 'checkpointStep', 'complete'])
  oneOf(fields.type, 'type', ['chunk'] as const)
  id(fields.unitId, 'unitId')
  integer(fields.attempt, 'attempt', 0, MAX_ATTEMPT)
  integer(fields.firstFrame, 'firstFrame')
  integer(fields.frameCount, 'frameCount', 1)
  bytes(fields.data, 'data', maxChunkBytes)
  optional(fields, 'checkpointHash', '', contentHash)
  optional(fields, 'checkpointStep', '', integer)
  if (('checkpointHash' in fields) !== ('checkpointStep' in fields)) {
    throw new WireFormatError('checkpointHash and checkpointStep come together', 'checkpointStep')
  }
  optional(fields, 'complete', '', (v, f) => {
    const completion = object(v, f, ['checkpointHash', 'frames'])
    contentHash(completion.checkpointHash, `${f}.checkpointHash`)
    integer(completion.frames, `${f}.frames`)
  })
  return value as ChunkMessage
}

export function validateChunkAck (value: unknown): ChunkAck {
  const type = oneOf(object(value, '', ['type'], ['unitId', 'firstFrame', 'duplicate', 'completed', 'completeRefused', 'code', 'reason']).type, 'type', ['ack', 'nack'] as const)
  if (type === 'ack') {
    const fields = object(value, '', ['type', 'unitId', 'firstFrame', 'duplicate'], ['completed', 'completeRefused'])
    id(fields.unitId, 'unitId')
    integer(fields.firstFrame, 'firstFrame')
    boolean(fields.duplicate, 'duplicate')
    optional(fields, 'completed', '', boolean)
    optional(fields, 'completeRefused', '', prose)
  } else {
    const fields = object(value, '', ['type', 'unitId', 'firstFrame', 'code', 'reason'])
    id(fields.unitId, 'unitId')
    integer(fields.firstFrame, 'firstFrame')
    oneOf(fields.code, 'code', ['not-holder', 'stale-attempt', 'gap', 'corrupt', 'bad-request', 'cancelled'] as const)
    prose(fields.reason, 'reason')
  }
  return value as ChunkAck
}
