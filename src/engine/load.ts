/**
 * Reads and cross-checks the inputs of one simulation: System XML, optional
 * Integrator XML, and starting coordinates from a State XML or a PDB.
 *
 * Positions come from the State XML when given, else from the PDB's first
 * model. The box is the State's, else the PDB's CRYST1, else the System's
 * default; a periodic System must end up with a valid box at least twice its
 * cutoff across. The topology is the PDB's, else a generic one.
 */
import { InvalidBoxError, InvalidCoordinatesError, ParticleCountMismatchError } from './errors.ts'
import { validateBox } from './box.ts'
import type { IntegratorSpec } from './integrator-spec.ts'
import { resolveLimits, type InputLimits } from './limits.ts'
import { readPdb } from './pdb/read-pdb.ts'
import type { SimulationState } from './state.ts'
import { usesPeriodicBoundaryConditions, type System } from './system.ts'
import { genericTopology, type Topology } from './topology.ts'
import { parseIntegratorXml } from './xml/integrator-xml.ts'
import { parseStateXml } from './xml/state-xml.ts'
import { parseSystemXml } from './xml/system-xml.ts'

export interface EngineInputs {
  systemXml: string
  integratorXml?: string
  /** Starting structure; its first model gives positions unless `stateXml` is given. */
  pdb?: string
  stateXml?: string
}

export interface LoadedInputs {
  system: System
  integrator: IntegratorSpec | null
  state: SimulationState
  topology: Topology
}

/**
 * Parses and validates every input. Throws the readers' errors and
 * ParticleCountMismatchError, InvalidCoordinatesError (no positions, NaN),
 * InvalidBoxError (periodic System without a usable box).
 */
export function loadInputs (inputs: EngineInputs, limits?: Partial<InputLimits>): LoadedInputs {
  const resolved = resolveLimits(limits)
  const system = parseSystemXml(inputs.systemXml, resolved)
  const integrator = inputs.integratorXml === undefined ? null : parseIntegratorXml(inputs.integratorXml, resolved)
  const pdb = inputs.pdb === undefined ? null : readPdb(inputs.pdb, resolved)
  const stateFromXml = inputs.stateXml === undefined ? null : parseStateXml(inputs.stateXml, resolved)
  const n = system.particleCount

  if (pdb !== null && pdb.topology.atomCount !== n) {
    throw new ParticleCountMismatchError(`The PDB has ${pdb.topology.atomCount} atoms but the System has ${n} particles; they must describe the same atoms in the same order.`)
  }
  if (stateFromXml !== null && stateFromXml.particleCount !== n) {
    throw new ParticleCountMismatchError(`The State XML has ${stateFromXml.particleCount} particles but the System has ${n}.`)
  }
  const positionsNm = stateFromXml?.positionsNm ?? pdb?.models[0]
  if (positionsNm === undefined) throw new InvalidCoordinatesError('No starting positions: give a PDB or a State XML with the System.')
  for (let i = 0; i < positionsNm.length; i++) {
    if (!Number.isFinite(positionsNm[i])) throw new InvalidCoordinatesError(`Particle ${Math.floor(i / 3)} has a non-finite starting position.`)
  }

  const box = stateFromXml?.box ?? pdb?.box ?? system.defaultBox
  if (usesPeriodicBoundaryConditions(system)) {
    if (box === null) throw new InvalidBoxError('The System uses periodic boundary conditions but no periodic box was given (State XML, PDB CRYST1 or the System default).')
    validateBox(box, periodicCutoffNm(system))
  }

  const state: SimulationState = {
    particleCount: n,
    positionsNm,
    velocitiesNmPerPs: stateFromXml?.velocitiesNmPerPs ?? null,
    box,
    timePs: stateFromXml?.timePs ?? 0,
    step: stateFromXml?.step ?? 0,
  }
  return { system, integrator, state, topology: pdb?.topology ?? genericTopology(n) }
}

/** The largest cutoff of any periodic nonbonded force, nm (undefined if none). */
function periodicCutoffNm (system: System): number | undefined {
  let cutoff: number | undefined
  for (const force of system.forces) {
    if (force.type === 'NonbondedForce' && force.method !== 'NoCutoff' && force.method !== 'CutoffNonPeriodic') {
      cutoff = Math.max(cutoff ?? 0, force.cutoffNm)
    }
  }
  return cutoff
}
