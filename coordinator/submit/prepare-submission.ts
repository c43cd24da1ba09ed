/**
 * Reads a submit's payloads from the blob store and derives what the queue
 * needs: the force types the System holds (requirements for matching), its
 * atom count, and the integrator's step size. Bad inputs are refused here,
 * at submit time, with the engine's typed error (XmlParseError,
 * InvalidSystemError, InvalidIntegratorError), not later on a node.
 */
import type { CoordinatorStore } from '../store/coordinator-store.ts'
import type { Requirements } from '../../src/wire/messages.ts'
import type { SubmitRequestSpec } from '../../src/client/control-messages.ts'
import { firstUnsupportedFeature, readSystemForceTypes } from '../../src/engine/xml/system-xml.ts'
import { parseXml, childElement } from '../../src/engine/xml/safe-xml.ts'
import { parseIntegratorXml } from '../../src/engine/xml/integrator-xml.ts'
import { resolveLimits, exceedsByteLimit, type InputLimits } from '../../src/engine/limits.ts'
import { InvalidSystemError, UnsupportedIntegratorError } from '../../src/engine/errors.ts'
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

function particleCount (systemXml: string, limits: InputLimits): number {
  const root = parseXml(systemXml, { maxBytes: limits.maxXmlBytes, what: 'System XML' })
  const particles = childElement(root, 'Particles')
  const count = particles?.children.filter((child) => child.name === 'Particle').length ?? 0
  if (count === 0) throw new InvalidSystemError('System XML has no <Particles>: there is nothing to simulate.')
  if (count > limits.maxAtoms) throw new InvalidSystemError(`System XML has ${count} particles, more than the limit of ${limits.maxAtoms}.`)
  return count
}

/** Step size in ps; integrators the builtin engine lacks are accepted (an openmm node may run them) and their stepSize read directly. */
function integratorFacts (integratorXml: string, limits: InputLimits): { stepSizePs: number, builtinRunsIt: boolean } {
  try {
    return { stepSizePs: parseIntegratorXml(integratorXml, limits).stepSizePs, builtinRunsIt: true }
  } catch (err) {
    if (!(err instanceof UnsupportedIntegratorError)) throw err
    const root = parseXml(integratorXml, { maxBytes: limits.maxXmlBytes, what: 'Integrator XML' })
    const stepSizePs = Number(root.attributes.stepSize)
    return { stepSizePs: Number.isFinite(stepSizePs) && stepSizePs > 0 ? stepSizePs : 0, builtinRunsIt: false }
  }
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

/** What a submit's payloads say, a pure function of their content (hence of their hashes) and the limits. */
interface PayloadFacts {
  readonly forceTypes: string[]
  readonly builtinRunsIt: boolean
  readonly stepSizePs: number
  readonly atoms: number
}

/** Facts of recently submitted inputs: a repeated submit of the same files is not parsed again. */
const factsByInputs = new Map<string, PayloadFacts>()
const MAX_REMEMBERED_INPUTS = 256

async function payloadFacts (store: CoordinatorStore, spec: SubmitRequestSpec, limits: InputLimits): Promise<PayloadFacts> {
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

async function readPayloadFacts (store: CoordinatorStore, spec: SubmitRequestSpec, limits: InputLimits): Promise<PayloadFacts> {
  const systemXml = await blobText(store, spec.systemHash, 'System XML')
  const integratorXml = await blobText(store, spec.integratorHash, 'Integrator XML')
  const pdb = await blobText(store, spec.pdbHash, 'PDB')
  if (spec.stateHash !== undefined) await blobText(store, spec.stateHash, 'State XML')

  const forceTypes = readSystemForceTypes(systemXml, limits)
  // A feature inside a supported force (PME electrostatics, virtual sites) becomes a requirement of its own.
  const feature = firstUnsupportedFeature(systemXml, limits)
  const required = feature !== null && !forceTypes.includes(feature) ? [...new Set(forceTypes), feature] : [...new Set(forceTypes)]
  const integrator = integratorFacts(integratorXml, limits)
  const atoms = particleCount(systemXml, limits)
  checkSizes(pdb, atoms, limits)
  return { forceTypes: required, builtinRunsIt: integrator.builtinRunsIt, stepSizePs: integrator.stepSizePs, atoms }
}

export async function prepareSubmission (store: CoordinatorStore, spec: SubmitRequestSpec, submittedBy: string, inputLimits?: Partial<InputLimits>): Promise<JobSubmission> {
  const limits = resolveLimits(inputLimits)
  if (spec.steps > limits.maxSteps) throw new InvalidJobSpecError(`${spec.steps} steps is more than this coordinator's limit of ${limits.maxSteps} steps per job.`)
  const { forceTypes: required, builtinRunsIt, stepSizePs, atoms } = await payloadFacts(store, spec, limits)
  let engine = spec.engine ?? 'any'
  if (engine === 'any' && !builtinRunsIt) engine = 'openmm'
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
