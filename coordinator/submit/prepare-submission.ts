/**
 * Reads a submit's payloads from the blob store and derives what the queue
 * needs: the force types the System holds (requirements for matching), its
 * atom count, and the integrator's step size. Bad inputs are refused here,
 * at submit time, with the engine's typed error (XmlParseError,
 * InvalidSystemError, InvalidIntegratorError, ParticleCountMismatchError,
 * and for `--engine builtin` UnsupportedForceError), not later on a node
 * and not by waiting forever (input-facts.ts).
 */
import type { CoordinatorStore } from '../store/coordinator-store.ts'
import type { Requirements } from '../../src/wire/messages.ts'
import type { SubmitRequestSpec } from '../../src/client/control-messages.ts'
import { resolveLimits, exceedsByteLimit, type InputLimits } from '../../src/engine/limits.ts'
import { readInputFacts, refuseUnrunnable, type InputFacts } from './input-facts.ts'
import { chunkByteBound } from '../../src/trajectory/index.ts'
import { FRAMES_MAX_MESSAGE_BYTES, KiB } from '../../src/wire/constants.ts'
import { InvalidJobSpecError } from '../queue/errors.ts'
import { MissingBlobError } from '../queue/errors.ts'
import type { JobSubmission } from '../queue/work-queue.ts'

const textDecoder = new TextDecoder('utf-8', { fatal: false })

async function blobText (store: CoordinatorStore, hash: string, what: string): Promise<string> {
  const bytes = await store.blobs.get(hash)
  if (bytes === undefined) throw new MissingBlobError(hash, what)
  return textDecoder.decode(bytes)
}

/** Room for a chunk message's envelope (ids, counts, checkpoint hash) around the chunk bytes. */
const CHUNK_ENVELOPE_BYTES = 4 * KiB

/**
 * Refuses a submit over the size limits (configurable, `coordinator start
 * --max-atoms ...`): PDB size, and a frame too large to travel in one chunk
 * message. Steps are checked before anything is parsed.
 */
function checkSizes (pdb: string, atoms: number, limits: InputLimits): void {
  if (exceedsByteLimit(pdb, limits.maxPdbBytes)) throw new InvalidJobSpecError(`The PDB is larger than this coordinator's limit of ${limits.maxPdbBytes} bytes.`)
  const oneFrameChunk = chunkByteBound(1, atoms, { hasBox: true, hasSelection: true })
  if (oneFrameChunk + CHUNK_ENVELOPE_BYTES > FRAMES_MAX_MESSAGE_BYTES) throw new InvalidJobSpecError(`One frame of ${atoms} atoms is ${oneFrameChunk} bytes, more than a frames message may carry (${FRAMES_MAX_MESSAGE_BYTES} bytes); keep fewer atoms in the output.`)
}

/** Facts of recently submitted inputs: a repeated submit of the same files is not parsed again. */
const factsByInputs = new Map<string, InputFacts>()
const MAX_REMEMBERED_INPUTS = 256

async function payloadFacts (store: CoordinatorStore, spec: SubmitRequestSpec, limits: InputLimits): Promise<InputFacts> {
  const key = JSON.stringify([spec.systemHash, spec.integratorHash, spec.pdbHash, spec.stateHash ?? null, limits])
  const known = factsByInputs.get(key)
  // The queue checks at submit that every payload is (still) stored.
  if (known !== undefined) return known
  const facts = await readPayloadFacts(store, spec, limits)
  factsByInputs.set(key, facts)
  for (const oldest of factsByInputs.keys()) {
    if (factsByInputs.size <= MAX_REMEMBERED_INPUTS) break
    factsByInputs.delete(oldest)
  }
  return facts
}

async function readPayloadFacts (store: CoordinatorStore, spec: SubmitRequestSpec, limits: InputLimits): Promise<InputFacts> {
  const systemXml = await blobText(store, spec.systemHash, 'System XML')
  const integratorXml = await blobText(store, spec.integratorHash, 'Integrator XML')
  const pdb = await blobText(store, spec.pdbHash, 'PDB')
  const stateXml = spec.stateHash !== undefined ? await blobText(store, spec.stateHash, 'State XML') : undefined
  const facts = readInputFacts({ systemXml, integratorXml, pdb, ...(stateXml !== undefined ? { stateXml } : {}) }, limits)
  checkSizes(pdb, facts.atoms, limits)
  return facts
}

export async function prepareSubmission (store: CoordinatorStore, spec: SubmitRequestSpec, submittedBy: string, inputLimits?: Partial<InputLimits>): Promise<JobSubmission> {
  const limits = resolveLimits(inputLimits)
  if (spec.steps > limits.maxSteps) throw new InvalidJobSpecError(`${spec.steps} steps is more than this coordinator's limit of ${limits.maxSteps} steps per job.`)
  const facts = await payloadFacts(store, spec, limits)
  const { forceTypes: required, stepSizePs, atoms } = facts
  // A job no node could run (PDB of another system, a force --engine builtin lacks) is refused here, not queued.
  refuseUnrunnable(facts, spec.engine ?? 'any')
  let engine = spec.engine ?? 'any'
  if (engine === 'any' && facts.builtinUnsupportedIntegrator !== null) engine = 'openmm'
  const requirements: Requirements = {
    engine,
    forceTypes: required,
    ...(spec.platform !== undefined ? { platform: spec.platform } : {}),
    ...(spec.gpu === true ? { gpu: true } : {}),
  }
  checkOutput(spec, atoms)
  return {
    submittedBy,
    payload: { systemHash: spec.systemHash, integratorHash: spec.integratorHash, pdbHash: spec.pdbHash, ...(spec.stateHash !== undefined ? { stateHash: spec.stateHash } : {}) },
    requirements,
    steps: spec.steps,
    reportEvery: spec.reportEvery,
    stepSizePs,
    atoms,
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.segmentSteps !== undefined ? { segmentSteps: spec.segmentSteps } : {}),
    ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
    ...(spec.maxAttempts !== undefined ? { maxAttempts: spec.maxAttempts } : {}),
    ...(spec.keepAtoms !== undefined ? { keepAtoms: spec.keepAtoms } : {}),
    ...(spec.precisionNm !== undefined ? { precisionNm: spec.precisionNm } : {}),
    ...(spec.lossless === true ? { lossless: true } : {}),
  }
}

/** The trajectory options must fit the system: kept atoms exist, each once. */
function checkOutput (spec: SubmitRequestSpec, atoms: number): void {
  if (spec.keepAtoms === undefined) return
  const seen = new Set<number>()
  for (const atom of spec.keepAtoms) {
    if (atom >= atoms) throw new InvalidJobSpecError(`--keep names atom ${atom}, but the system has atoms 0 to ${atoms - 1}.`)
    if (seen.has(atom)) throw new InvalidJobSpecError(`--keep names atom ${atom} twice; list each atom once.`)
    seen.add(atom)
  }
}
