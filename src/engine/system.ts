/**
 * The System is data, after OpenMM's `System`: particle masses, distance
 * constraints, forces with their parameters and an optional default periodic
 * box. Nothing here does math; kernels (`src/engine/kernels/`) do.
 *
 * Units throughout (OpenMM's MD units): length nm, time ps, mass amu (g/mol),
 * energy kJ/mol, charge e, angle rad, temperature K.
 *
 * Per-item parameters are flat typed arrays (struct of arrays): index `i` of
 * every array of a force describes item `i`.
 */

/**
 * Periodic box vectors a, b, c in nm, row-major in a Float64Array(9):
 * [ax, ay, az, bx, by, bz, cx, cy, cz]. OpenMM's reduced form is required:
 * a = (ax, 0, 0), b = (bx, by, 0), c = (cx, cy, cz) with ax > 0, by > 0,
 * cz > 0, |bx| <= ax/2, |cx| <= ax/2, |cy| <= by/2.
 */
export type BoxVectors = Float64Array

export interface Constraints {
  /** First particle index of each constraint. */
  readonly p1: Int32Array
  /** Second particle index of each constraint. */
  readonly p2: Int32Array
  /** Constrained distance, nm. */
  readonly distanceNm: Float64Array
}

interface ForceBase {
  /** OpenMM force group, 0..31. Energies are reported per group. */
  readonly forceGroup: number
  /** The name OpenMM's XmlSerializer writes (`type` attribute), e.g. `HarmonicBondForce`. */
  readonly type: string
}

export interface HarmonicBondForce extends ForceBase {
  readonly type: 'HarmonicBondForce'
  readonly usesPeriodicBoundaryConditions: boolean
  readonly p1: Int32Array
  readonly p2: Int32Array
  /** Equilibrium length, nm. */
  readonly lengthNm: Float64Array
  /** Force constant k, kJ/mol/nm^2; energy = k/2 (r - r0)^2. */
  readonly k: Float64Array
}

export interface HarmonicAngleForce extends ForceBase {
  readonly type: 'HarmonicAngleForce'
  readonly usesPeriodicBoundaryConditions: boolean
  readonly p1: Int32Array
  readonly p2: Int32Array
  readonly p3: Int32Array
  /** Equilibrium angle, rad. */
  readonly angleRad: Float64Array
  /** Force constant k, kJ/mol/rad^2; energy = k/2 (theta - theta0)^2. */
  readonly k: Float64Array
}

export interface PeriodicTorsionForce extends ForceBase {
  readonly type: 'PeriodicTorsionForce'
  readonly usesPeriodicBoundaryConditions: boolean
  readonly p1: Int32Array
  readonly p2: Int32Array
  readonly p3: Int32Array
  readonly p4: Int32Array
  /** Periodicity n (integer). */
  readonly periodicity: Int32Array
  /** Phase, rad. */
  readonly phaseRad: Float64Array
  /** Barrier k, kJ/mol; energy = k (1 + cos(n phi - phase)). */
  readonly k: Float64Array
}

export interface RBTorsionForce extends ForceBase {
  readonly type: 'RBTorsionForce'
  readonly usesPeriodicBoundaryConditions: boolean
  readonly p1: Int32Array
  readonly p2: Int32Array
  readonly p3: Int32Array
  readonly p4: Int32Array
  /**
   * Ryckaert-Bellemans coefficients c0..c5 in kJ/mol, 6 per torsion
   * (index 6*i + n); energy = sum_n c_n cos^n(psi), psi = phi - 180 deg.
   */
  readonly c: Float64Array
}

/** OpenMM NonbondedForce method numbers as the XmlSerializer writes them. */
export type NonbondedMethod = 'NoCutoff' | 'CutoffNonPeriodic' | 'CutoffPeriodic' | 'Ewald' | 'PME' | 'LJPME'
export const NONBONDED_METHOD_BY_CODE: readonly NonbondedMethod[] = [
  'NoCutoff', 'CutoffNonPeriodic', 'CutoffPeriodic', 'Ewald', 'PME', 'LJPME',
]

export interface NonbondedForce extends ForceBase {
  readonly type: 'NonbondedForce'
  readonly method: NonbondedMethod
  /** Cutoff distance, nm (ignored for NoCutoff). */
  readonly cutoffNm: number
  readonly useSwitchingFunction: boolean
  /** Distance where the switching function starts, nm. */
  readonly switchingDistanceNm: number
  readonly useDispersionCorrection: boolean
  /** Reaction-field dielectric constant (OpenMM default 78.3). */
  readonly reactionFieldDielectric: number
  readonly ewaldErrorTolerance: number
  /** Force group of the reciprocal-space part (-1: same as forceGroup). */
  readonly reciprocalSpaceForceGroup: number
  /** Per particle: charge e. */
  readonly charge: Float64Array
  /** Per particle: LJ sigma, nm. */
  readonly sigmaNm: Float64Array
  /** Per particle: LJ epsilon, kJ/mol. */
  readonly epsilon: Float64Array
  /** Exceptions (replace the pair's interaction; zero chargeProd and epsilon = exclusion). */
  readonly exceptionP1: Int32Array
  readonly exceptionP2: Int32Array
  /** e^2 */
  readonly exceptionChargeProd: Float64Array
  /** nm */
  readonly exceptionSigmaNm: Float64Array
  /** kJ/mol */
  readonly exceptionEpsilon: Float64Array
  /** Ewald/PME: splitting parameter alpha (nm^-1) set in the XML (`alpha`); absent or 0 = chosen from ewaldErrorTolerance. */
  readonly pmeAlphaPerNm?: number
  /** PME grid size along a, b, c set in the XML (`nx`, `ny`, `nz`); used when pmeAlphaPerNm is set. */
  readonly pmeGridX?: number
  readonly pmeGridY?: number
  readonly pmeGridZ?: number
  /** LJPME: dispersion splitting parameter (nm^-1) and grid set in the XML (`ljAlpha`, `ljnx`...); absent or 0 = chosen. */
  readonly ljpmeAlphaPerNm?: number
  readonly ljpmeGridX?: number
  readonly ljpmeGridY?: number
  readonly ljpmeGridZ?: number
  /** OpenMM's `exceptionsUsePeriodic` (periodic methods only): exceptions use the minimum image. Default false. */
  readonly exceptionsUsePeriodic?: boolean
}

export interface CMMotionRemover extends ForceBase {
  readonly type: 'CMMotionRemover'
  /** Remove centre-of-mass motion every this many steps. */
  readonly frequency: number
}

/** OpenMM GBSAOBCForce method numbers as the XmlSerializer writes them. */
export type GBSAOBCMethod = 'NoCutoff' | 'CutoffNonPeriodic' | 'CutoffPeriodic'
export const GBSAOBC_METHOD_BY_CODE: readonly GBSAOBCMethod[] = ['NoCutoff', 'CutoffNonPeriodic', 'CutoffPeriodic']

/** Generalized Born implicit solvent, OBC type II with the ACE surface-area term (OpenMM's GBSAOBCForce). */
export interface GBSAOBCForce extends ForceBase {
  readonly type: 'GBSAOBCForce'
  readonly method: GBSAOBCMethod
  /** True for CutoffPeriodic. */
  readonly usesPeriodicBoundaryConditions: boolean
  /** Cutoff distance, nm (ignored for NoCutoff). */
  readonly cutoffNm: number
  readonly soluteDielectric: number
  readonly solventDielectric: number
  /** Surface-area energy, kJ/mol/nm^2 (OpenMM default 2.25936). */
  readonly surfaceAreaEnergy: number
  /** Per particle: charge e. */
  readonly charge: Float64Array
  /** Per particle: GB radius, nm. */
  readonly radiusNm: Float64Array
  /** Per particle: HCT scale factor (dimensionless). */
  readonly scale: Float64Array
}

/** Isotropic Monte Carlo barostat (OpenMM's MonteCarloBarostat); no energy, applied by the Context. */
export interface MonteCarloBarostat extends ForceBase {
  readonly type: 'MonteCarloBarostat'
  /** Pressure, bar. */
  readonly pressureBar: number
  /** Temperature for the acceptance test, K. */
  readonly temperatureK: number
  /** Attempt a volume move every this many steps (0 = never). */
  readonly frequency: number
  /** Seed of the barostat's random numbers (0 = choose one). */
  readonly randomSeed: number
}

export type Force =
  | HarmonicBondForce
  | HarmonicAngleForce
  | PeriodicTorsionForce
  | RBTorsionForce
  | NonbondedForce
  | CMMotionRemover
  | GBSAOBCForce
  | MonteCarloBarostat

/** Force types the builtin engine implements; any other is refused at load time. */
export const SUPPORTED_FORCE_TYPES: ReadonlySet<string> = new Set([
  'HarmonicBondForce',
  'HarmonicAngleForce',
  'PeriodicTorsionForce',
  'RBTorsionForce',
  'NonbondedForce',
  'CMMotionRemover',
  'GBSAOBCForce',
  'MonteCarloBarostat',
])

export interface System {
  readonly particleCount: number
  /** Per particle mass, amu. Zero mass = fixed particle (never moves). */
  readonly masses: Float64Array
  readonly constraints: Constraints
  readonly forces: readonly Force[]
  /** Default periodic box (nm), or null when the System has none. */
  readonly defaultBox: BoxVectors | null
  /** Force types named in the source XML, in order (for diagnostics and matching). */
  readonly forceTypes: readonly string[]
}

/** True when any force of the system needs periodic boundary conditions. */
export function usesPeriodicBoundaryConditions (system: System): boolean {
  for (const force of system.forces) {
    if (force.type === 'NonbondedForce') {
      if (force.method !== 'NoCutoff' && force.method !== 'CutoffNonPeriodic') return true
    } else if ('usesPeriodicBoundaryConditions' in force && force.usesPeriodicBoundaryConditions) {
      return true
    }
  }
  return false
}
