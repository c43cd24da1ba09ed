/**
 * Validators of control-protocol messages: every field checked for type,
 * range and size, unknown fields refused. Throw WireFormatError naming the
 * field. Responses from the coordinator are checked for their envelope and
 * the fields the client reads.
 */
import { WireFormatError } from '../wire/errors.ts'
import { MAX_ID_LENGTH, MAX_KEEP_ATOMS, MAX_REASON_LENGTH } from '../wire/constants.ts'
import type { ControlRequest, ControlResponse, SubmitRequestSpec } from './control-messages.ts'

type Obj = Record<string, unknown>

const MAX_JOB_IDS = 100_000
const MAX_NAME_LENGTH = 200
/** Trajectory precision bounds, nm (as src/trajectory/chunk.ts accepts). */
const MIN_PRECISION_NM = 1e-7
const MAX_PRECISION_NM = 1

function object (value: unknown, field: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) throw new WireFormatError('must be a map', field)
  return value as Obj
}

function onlyFields (value: Obj, allowed: readonly string[], field: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) throw new WireFormatError(`unknown field '${key}'`, field)
}

function string (value: unknown, field: string, maxLength = MAX_ID_LENGTH): string {
  if (typeof value !== 'string') throw new WireFormatError('must be a string', field)
  if (value.length > maxLength) throw new WireFormatError(`longer than ${maxLength} characters`, field)
  return value
}

function optionalString (value: unknown, field: string, maxLength = MAX_ID_LENGTH): string | undefined {
  return value === undefined ? undefined : string(value, field, maxLength)
}

function hash (value: unknown, field: string): string {
  const text = string(value, field)
  if (!/^[0-9a-f]{64}$/.test(text)) throw new WireFormatError('must be a sha256 hex digest', field)
  return text
}

function integer (value: unknown, field: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new WireFormatError('must be a whole number', field)
  if (value < min || value > max) throw new WireFormatError(`must be between ${min} and ${max}`, field)
  return value
}

function optionalInteger (value: unknown, field: string, min?: number, max?: number): number | undefined {
  return value === undefined ? undefined : integer(value, field, min, max)
}

function bytes (value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new WireFormatError('must be a byte string', field)
  return value
}

function stringArray (value: unknown, field: string, maxItems: number, check: (v: unknown, f: string) => string = string): string[] {
  if (!Array.isArray(value)) throw new WireFormatError('must be an array', field)
  if (value.length > maxItems) throw new WireFormatError(`more than ${maxItems} items`, field)
  return value.map((item, i) => check(item, `${field}.${i}`))
}

function validateSubmitSpec (value: unknown): SubmitRequestSpec {
  const spec = object(value, 'spec')
  onlyFields(spec, ['name', 'systemHash', 'integratorHash', 'pdbHash', 'stateHash', 'steps', 'reportEvery', 'segmentSteps', 'replicas', 'seed', 'priority', 'engine', 'platform', 'gpu', 'maxAttempts', 'keepAtoms', 'precisionNm', 'lossless'], 'spec')
  const engine = spec.engine
  if (engine !== undefined && engine !== 'builtin' && engine !== 'openmm' && engine !== 'any') throw new WireFormatError("must be 'builtin', 'openmm' or 'any'", 'spec.engine')
  if (spec.gpu !== undefined && typeof spec.gpu !== 'boolean') throw new WireFormatError('must be true or false', 'spec.gpu')
  if (spec.lossless !== undefined && typeof spec.lossless !== 'boolean') throw new WireFormatError('must be true or false', 'spec.lossless')
  const precisionNm = spec.precisionNm
  if (precisionNm !== undefined && (typeof precisionNm !== 'number' || !(precisionNm >= MIN_PRECISION_NM && precisionNm <= MAX_PRECISION_NM))) throw new WireFormatError(`must be a number of nm from ${MIN_PRECISION_NM} to ${MAX_PRECISION_NM}`, 'spec.precisionNm')
  let keepAtoms: number[] | undefined
  if (spec.keepAtoms !== undefined) {
    if (!Array.isArray(spec.keepAtoms)) throw new WireFormatError('must be an array', 'spec.keepAtoms')
    if (spec.keepAtoms.length === 0 || spec.keepAtoms.length > MAX_KEEP_ATOMS) throw new WireFormatError(`must hold 1 to ${MAX_KEEP_ATOMS} atom indices`, 'spec.keepAtoms')
    keepAtoms = spec.keepAtoms.map((atom, i) => integer(atom, `spec.keepAtoms.${i}`, 0, MAX_KEEP_ATOMS * 10))
  }
  const out: Record<string, unknown> = {
    name: optionalString(spec.name, 'spec.name', MAX_NAME_LENGTH),
    systemHash: hash(spec.systemHash, 'spec.systemHash'),
    integratorHash: hash(spec.integratorHash, 'spec.integratorHash'),
    pdbHash: hash(spec.pdbHash, 'spec.pdbHash'),
    stateHash: spec.stateHash === undefined ? undefined : hash(spec.stateHash, 'spec.stateHash'),
    steps: integer(spec.steps, 'spec.steps', 1),
    reportEvery: integer(spec.reportEvery, 'spec.reportEvery', 1),
    segmentSteps: optionalInteger(spec.segmentSteps, 'spec.segmentSteps', 1),
    replicas: optionalInteger(spec.replicas, 'spec.replicas', 1),
    seed: optionalInteger(spec.seed, 'spec.seed', 0),
    priority: optionalInteger(spec.priority, 'spec.priority'),
    engine,
    platform: optionalString(spec.platform, 'spec.platform', 64),
    gpu: spec.gpu,
    maxAttempts: optionalInteger(spec.maxAttempts, 'spec.maxAttempts', 1, 1000),
    keepAtoms,
    precisionNm,
    lossless: spec.lossless,
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key]
  return out as unknown as SubmitRequestSpec
}

/** Checks a request read by the coordinator. */
export function validateControlRequest (value: unknown): ControlRequest {
  const message = object(value, '')
  switch (message.type) {
    case 'blob-has':
      onlyFields(message, ['type', 'hashes'], '')
      return { type: 'blob-has', hashes: stringArray(message.hashes, 'hashes', 64, hash) }
    case 'blob-put':
      onlyFields(message, ['type', 'hash', 'bytes'], '')
      return { type: 'blob-put', hash: hash(message.hash, 'hash'), bytes: bytes(message.bytes, 'bytes') }
    case 'blob-get':
      onlyFields(message, ['type', 'hash'], '')
      return { type: 'blob-get', hash: hash(message.hash, 'hash') }
    case 'submit':
      onlyFields(message, ['type', 'spec'], '')
      return { type: 'submit', spec: validateSubmitSpec(message.spec) }
    case 'jobs':
      onlyFields(message, ['type', 'jobIds'], '')
      return message.jobIds === undefined ? { type: 'jobs' } : { type: 'jobs', jobIds: stringArray(message.jobIds, 'jobIds', MAX_JOB_IDS) }
    case 'status':
      onlyFields(message, ['type', 'jobId'], '')
      return { type: 'status', jobId: string(message.jobId, 'jobId') }
    case 'cancel': {
      onlyFields(message, ['type', 'jobId', 'reason'], '')
      const reason = optionalString(message.reason, 'reason', MAX_REASON_LENGTH)
      return reason === undefined ? { type: 'cancel', jobId: string(message.jobId, 'jobId') } : { type: 'cancel', jobId: string(message.jobId, 'jobId'), reason }
    }
    case 'peers':
      onlyFields(message, ['type'], '')
      return { type: 'peers' }
    case 'fetch': {
      onlyFields(message, ['type', 'jobId', 'fromFrame'], '')
      const fromFrame = optionalInteger(message.fromFrame, 'fromFrame', 0)
      return fromFrame === undefined ? { type: 'fetch', jobId: string(message.jobId, 'jobId') } : { type: 'fetch', jobId: string(message.jobId, 'jobId'), fromFrame }
    }
    case 'watch':
      onlyFields(message, ['type', 'jobIds'], '')
      return { type: 'watch', jobIds: stringArray(message.jobIds, 'jobIds', MAX_JOB_IDS) }
    case 'allow': {
      onlyFields(message, ['type', 'peerId', 'admin'], '')
      if (message.admin !== undefined && typeof message.admin !== 'boolean') throw new WireFormatError('must be true or false', 'admin')
      const peerId = string(message.peerId, 'peerId')
      return message.admin === undefined ? { type: 'allow', peerId } : { type: 'allow', peerId, admin: message.admin }
    }
    case 'revoke':
      onlyFields(message, ['type', 'peerId'], '')
      return { type: 'revoke', peerId: string(message.peerId, 'peerId') }
    case 'list-allowed':
      onlyFields(message, ['type'], '')
      return { type: 'list-allowed' }
    default:
      throw new WireFormatError(`unknown control request type ${JSON.stringify(message.type)}`, 'type')
  }
}

const RESPONSE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'blob-missing': ['missing'],
  'blob-stored': ['hash'],
  blob: ['hash', 'bytes'],
  submitted: ['jobs'],
  jobs: ['jobs'],
  status: ['status'],
  cancelled: ['job'],
  peers: ['peers'],
  chunk: ['firstFrame', 'frameCount', 'data'],
  end: ['frames', 'totalFrames', 'complete', 'state'],
  update: ['jobs'],
  allowed: ['clients', 'changed'],
  error: ['name', 'message'],
}

/** Checks a response read by the client: a known type with its fields present. */
export function validateControlResponse (value: unknown): ControlResponse {
  const message = object(value, '')
  const type = message.type
  if (typeof type !== 'string' || RESPONSE_FIELDS[type] === undefined) throw new WireFormatError(`unknown control response type ${JSON.stringify(type)}`, 'type')
  for (const field of RESPONSE_FIELDS[type]) if (message[field] === undefined) throw new WireFormatError('missing', field)
  if (type === 'chunk') {
    integer(message.firstFrame, 'firstFrame', 0)
    integer(message.frameCount, 'frameCount', 1)
    bytes(message.data, 'data')
  }
  if (type === 'blob') bytes(message.bytes, 'bytes')
  if (type === 'error') { string(message.name, 'name'); string(message.message, 'message', 64 * 1024) }
  if ((type === 'jobs' || type === 'submitted' || type === 'update') && !Array.isArray(message.jobs)) throw new WireFormatError('must be an array', 'jobs')
  if (type === 'peers' && !Array.isArray(message.peers)) throw new WireFormatError('must be an array', 'peers')
  if (type === 'allowed' && !Array.isArray(message.clients)) throw new WireFormatError('must be an array', 'clients')
  return message as unknown as ControlResponse
}
