/**
 * A simulation state, as read from OpenMM State XML or a PDB, and as stored
 * in a portable checkpoint. Positions nm, velocities nm/ps, time ps.
 * Flat arrays of length 3 * particleCount: [x0, y0, z0, x1, ...].
 */
import type { BoxVectors } from './system.ts'

export interface SimulationState {
  readonly particleCount: number
  readonly positionsNm: Float64Array
  /** nm/ps, or null when the source had none (then drawn from Maxwell-Boltzmann or zero). */
  readonly velocitiesNmPerPs: Float64Array | null
  /** Periodic box, or null. */
  readonly box: BoxVectors | null
  /** Simulation time, ps. */
  readonly timePs: number
  /** Step count (OpenMM 7.7+ writes `stepCount`; 0 when absent). */
  readonly step: number
}
