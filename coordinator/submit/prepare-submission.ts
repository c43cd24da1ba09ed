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
import { resolveLimits } from '../../src/engine/limits.ts'
import { InvalidSystemError, UnsupportedIntegratorError } from '../../src/engine/errors.ts'
import { MissingBlobError } from '../queue/errors.ts'
import type { JobSubmission } from '../queue/work-queue.ts'

const textDecoder = new TextDecoder('utf-8', { fatal: false })

async function blobText (store: CoordinatorStore, hash: string, what: string): Promise<string> {
  const bytes = await store.blobs.get(hash)
  if (bytes === undefined) throw new MissingBlobError(hash, what)
  return textDecoder.decode(bytes)
}

function particleCount (systemXml: string): number {
  const limits = resolveLimits()
  const root = parseXml(systemXml, { maxBytes: limits.maxXmlBytes, what: 'System XML' })
  const particles = childElement(root, 'Particles')
  const count = particles?.children.filter((child) => child.name === 'Particle').length ?? 0
  if (count === 0) throw new InvalidSystemError('System XML has no <Particles>: there is nothing to simulate.')
  if (count > limits.maxAtoms) throw new InvalidSystemError(`System XML has ${count} particles, more than the limit of ${limits.maxAtoms}.`)
  return count
}

/** Step size in ps; integrators the builtin engine lacks are accepted (an openmm node may run them) and their stepSize read directly. */
function integratorFacts (integratorXml: string): { stepSizePs: number, builtinRunsIt: boolean } {
  try {
    return { stepSizePs: parseIntegratorXml(integratorXml).stepSizePs, builtinRunsIt: true }
  } catch (err) {
    if (!(err instanceof UnsupportedIntegratorError)) throw err
    const root = parseXml(integratorXml, { maxBytes: resolveLimits().maxXmlBytes, what: 'Integrator XML' })
    const stepSizePs = Number(root.attributes.stepSize)
    return { stepSizePs: Number.isFinite(stepSizePs) && stepSizePs > 0 ? stepSizePs : 0, builtinRunsIt: false }
  }
}

export async function prepareSubmission (store: CoordinatorStore, spec: SubmitRequestSpec, submittedBy: string): Promise<JobSubmission> {
  const systemXml = await blobText(store, spec.systemHash, 'System XML')
  const integratorXml = await blobText(store, spec.integratorHash, 'Integrator XML')
  await blobText(store, spec.pdbHash, 'PDB')
  if (spec.stateHash !== undefined) await blobText(store, spec.stateHash, 'State XML')

  const forceTypes = readSystemForceTypes(systemXml)
  // A feature inside a supported force (PME electrostatics, virtual sites) becomes a requirement of its own.
  const feature = firstUnsupportedFeature(systemXml)
  const required = feature !== null && !forceTypes.includes(feature) ? [...new Set(forceTypes), feature] : [...new Set(forceTypes)]
  const integrator = integratorFacts(integratorXml)
  let engine = spec.engine ?? 'any'
  if (engine === 'any' && !integrator.builtinRunsIt) engine = 'openmm'
  const requirements: Requirements = {
    engine,
    forceTypes: required,
    ...(spec.platform !== undefined ? { platform: spec.platform } : {}),
    ...(spec.gpu === true ? { gpu: true } : {}),
  }
  return {
    submittedBy,
    payload: { systemHash: spec.systemHash, integratorHash: spec.integratorHash, pdbHash: spec.pdbHash, ...(spec.stateHash !== undefined ? { stateHash: spec.stateHash } : {}) },
    requirements,
    steps: spec.steps,
    reportEvery: spec.reportEvery,
    stepSizePs: integrator.stepSizePs,
    atoms: particleCount(systemXml),
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    ...(spec.segmentSteps !== undefined ? { segmentSteps: spec.segmentSteps } : {}),
    ...(spec.replicas !== undefined ? { replicas: spec.replicas } : {}),
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(spec.priority !== undefined ? { priority: spec.priority } : {}),
    ...(spec.maxAttempts !== undefined ? { maxAttempts: spec.maxAttempts } : {}),
  }
}
