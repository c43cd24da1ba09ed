/**
 * What a submit's input files say, and whether the chosen engine can ever
 * run them. Used by the coordinator (prepare-submission.ts, authoritative)
 * and by `mdswarm submit` before it uploads anything, so that a job that
 * could only fail on a node (PDB and System of different sizes), or only
 * wait forever (`--engine builtin` with a force the builtin engine lacks),
 * is refused at submit with the engine's typed error.
 *
 * ```ts
 * const facts = readInputFacts({ systemXml, integratorXml, pdb, stateXml }, limits)
 * refuseUnrunnable(facts, 'builtin')   // throws ParticleCountMismatchError, UnsupportedForceError, ...
 * ```
 */
import { firstUnsupportedFeature, readSystemForceTypes } from '../../src/engine/xml/system-xml.ts'
import { parseXml, childElement } from '../../src/engine/xml/safe-xml.ts'
import { parseIntegratorXml } from '../../src/engine/xml/integrator-xml.ts'
import { parseStateXml } from '../../src/engine/xml/state-xml.ts'
import { readPdb } from '../../src/engine/pdb/read-pdb.ts'
import type { InputLimits } from '../../src/engine/limits.ts'
import { InvalidSystemError, ParticleCountMismatchError, UnsupportedForceError, UnsupportedIntegratorError } from '../../src/engine/errors.ts'

export type EngineChoice = 'builtin' | 'openmm' | 'any'

export interface SubmitInputs {
  readonly systemXml: string
  readonly integratorXml: string
  readonly pdb: string
  readonly stateXml?: string
}

/** What the payloads say: a pure function of their content and the limits. */
export interface InputFacts {
  /** Force types of the System, plus a feature the builtin engine lacks inside a supported force (e.g. 'NonbondedForce (PME)'), each once. */
  readonly forceTypes: string[]
  /** What the builtin engine would refuse in the System ('CMAPTorsionForce', 'virtual sites', ...), or null. */
  readonly builtinUnsupportedFeature: string | null
  /** The integrator type when the builtin engine does not run it, else null. */
  readonly builtinUnsupportedIntegrator: string | null
  /** Step size, ps (0 when an integrator the builtin engine lacks has none readable). */
  readonly stepSizePs: number
  /** Particles of the System. */
  readonly atoms: number
  /** Atoms of the PDB's first model, or the error its reader gave. */
  readonly pdb: { readonly atoms: number } | { readonly error: Error }
  /** Particles of the State XML (absent: no State XML), or the error its reader gave. */
  readonly state?: { readonly atoms: number } | { readonly error: Error }
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
function integratorFacts (integratorXml: string, limits: InputLimits): { stepSizePs: number, builtinUnsupported: string | null } {
  try {
    return { stepSizePs: parseIntegratorXml(integratorXml, limits).stepSizePs, builtinUnsupported: null }
  } catch (err) {
    if (!(err instanceof UnsupportedIntegratorError)) throw err
    const root = parseXml(integratorXml, { maxBytes: limits.maxXmlBytes, what: 'Integrator XML' })
    const stepSizePs = Number(root.attributes.stepSize)
    return { stepSizePs: Number.isFinite(stepSizePs) && stepSizePs > 0 ? stepSizePs : 0, builtinUnsupported: err.integratorType }
  }
}

function countOrError (count: () => number): { atoms: number } | { error: Error } {
  try {
    return { atoms: count() }
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) }
  }
}

/**
 * Reads the System (forces, particles), the Integrator (step size) and the
 * atom counts of PDB and State. Throws the System's and Integrator's typed
 * errors (XmlParseError, InvalidSystemError, InvalidIntegratorError); PDB or
 * State errors are kept in the facts (an OpenMM node reads those itself).
 */
export function readInputFacts (inputs: SubmitInputs, limits: InputLimits): InputFacts {
  const forceTypes = readSystemForceTypes(inputs.systemXml, limits)
  const feature = firstUnsupportedFeature(inputs.systemXml, limits)
  const required = feature !== null && !forceTypes.includes(feature) ? [...new Set(forceTypes), feature] : [...new Set(forceTypes)]
  const integrator = integratorFacts(inputs.integratorXml, limits)
  const atoms = particleCount(inputs.systemXml, limits)
  return {
    forceTypes: required,
    builtinUnsupportedFeature: feature,
    builtinUnsupportedIntegrator: integrator.builtinUnsupported,
    stepSizePs: integrator.stepSizePs,
    atoms,
    pdb: countOrError(() => readPdb(inputs.pdb, limits).topology.atomCount),
    ...(inputs.stateXml !== undefined ? { state: countOrError(() => parseStateXml(inputs.stateXml as string, limits).particleCount) } : {}),
  }
}

/**
 * Throws when no node of `engine` could ever run these inputs:
 * ParticleCountMismatchError (PDB or State of another size than the System),
 * and with `--engine builtin` UnsupportedForceError / UnsupportedIntegratorError
 * or the PDB/State reader's error. `openmm` and `any` are refused nothing
 * the builtin engine lacks: OpenMM nodes may run it.
 */
export function refuseUnrunnable (facts: InputFacts, engine: EngineChoice): void {
  if ('atoms' in facts.pdb && facts.pdb.atoms !== facts.atoms) {
    throw new ParticleCountMismatchError(`The PDB has ${facts.pdb.atoms} atoms but the System has ${facts.atoms} particles; they must describe the same atoms in the same order (was the PDB of another system given?).`)
  }
  if (facts.state !== undefined && 'atoms' in facts.state && facts.state.atoms !== facts.atoms) {
    throw new ParticleCountMismatchError(`The State XML has ${facts.state.atoms} particles but the System has ${facts.atoms}; they must describe the same atoms in the same order.`)
  }
  if (engine !== 'builtin') return
  if (facts.builtinUnsupportedFeature !== null) {
    const refusal = new UnsupportedForceError(facts.builtinUnsupportedFeature)
    refusal.message = `The builtin engine does not support ${facts.builtinUnsupportedFeature}, so with --engine builtin this job would wait forever. Submit it with --engine openmm (or --engine any) to run it on nodes with OpenMM.`
    throw refusal
  }
  if (facts.builtinUnsupportedIntegrator !== null) throw new UnsupportedIntegratorError(facts.builtinUnsupportedIntegrator)
  if ('error' in facts.pdb) throw facts.pdb.error
  if (facts.state !== undefined && 'error' in facts.state) throw facts.state.error
}
