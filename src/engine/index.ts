/**
 * The builtin MD engine: reads the OpenMM inputs users already have
 * (System, Integrator and State XML, PDB) and runs them in pure TypeScript.
 *
 * @example
 * ```ts
 * import fs from 'node:fs'
 * import { loadInputs } from './src/engine/index.ts'
 *
 * const { system, integrator, state, topology } = loadInputs({
 *   systemXml: fs.readFileSync('system.xml', 'utf8'),
 *   integratorXml: fs.readFileSync('integrator.xml', 'utf8'),
 *   pdb: fs.readFileSync('input.pdb', 'utf8'),
 * })
 * console.log(system.particleCount, integrator?.type, state.box, topology.atomNames[0])
 * ```
 * Every input is size-bounded (`InputLimits`) and validated; bad input
 * raises one of the typed errors in `./errors.ts` (assert on `name`).
 */

// Data types
export type {
  System, Force, BoxVectors, Constraints, NonbondedMethod, HarmonicBondForce, HarmonicAngleForce,
  PeriodicTorsionForce, RBTorsionForce, NonbondedForce, CMMotionRemover,
} from './system.ts'
export { SUPPORTED_FORCE_TYPES, NONBONDED_METHOD_BY_CODE, usesPeriodicBoundaryConditions } from './system.ts'
export type { IntegratorSpec, VerletIntegratorSpec, LangevinIntegratorSpec } from './integrator-spec.ts'
export { SUPPORTED_INTEGRATOR_TYPES } from './integrator-spec.ts'
export type { SimulationState } from './state.ts'
export type { Frame } from './frame.ts'
export * from './errors.ts'

// Input and output (IO)
export { type InputLimits, DEFAULT_INPUT_LIMITS, resolveLimits } from './limits.ts'
export { boxFromLengthsAndAngles, reduceBox, validateBox, boxVolumeNm3, boxLengthsAndAngles } from './box.ts'
export { type Topology, genericTopology } from './topology.ts'
export { parseSystemXml, readSystemForceTypes, firstUnsupportedFeature } from './xml/system-xml.ts'
export { parseIntegratorXml } from './xml/integrator-xml.ts'
export { parseStateXml } from './xml/state-xml.ts'
export { type PdbStructure, readPdb } from './pdb/read-pdb.ts'
export { type PdbFrame, writePdb } from './pdb/write-pdb.ts'
export { type EngineInputs, type LoadedInputs, loadInputs } from './load.ts'
