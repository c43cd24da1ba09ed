/**
 * One integrator's stepping math, made once per Context from an
 * IntegratorSpec. Kernels allocate their scratch arrays in the constructor
 * and nothing per step.
 */
import type { ConstraintSet } from '../constraints/constraint-set.ts'

/** What every integrator kernel needs to know about the particles. */
export interface DynamicsParticles {
  /** amu, length N */
  readonly masses: Float64Array
  /** 1/amu, 0 for zero-mass (fixed) particles, length N */
  readonly inverseMasses: Float64Array
  /** The System's constraints, or null when it has none. */
  readonly constraints: ConstraintSet | null
}

export interface IntegratorKernel {
  /** ps */
  readonly stepSizePs: number
  /**
   * Advances `positionsNm` and `velocitiesNmPerPs` (3N, in place) by one step,
   * given `forces` (kJ/mol/nm) at the current positions. Zero-mass particles
   * never move. Returns false when the constraints did not converge.
   */
  step (positionsNm: Float64Array, velocitiesNmPerPs: Float64Array, forces: Float64Array): boolean
}

/** 1/m per particle, 0 where m = 0. */
export function inverseMassesOf (masses: Float64Array): Float64Array {
  const inverse = new Float64Array(masses.length)
  for (let i = 0; i < masses.length; i++) inverse[i] = masses[i] === 0 ? 0 : 1 / masses[i]
  return inverse
}
