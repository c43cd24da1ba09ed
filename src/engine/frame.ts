/**
 * One reported frame of a trajectory: what a reporter receives every K
 * steps and what travels to the coordinator in chunks.
 */
import type { BoxVectors } from './system.ts'

export interface Frame {
  /** Step number (absolute, counted from the job's start). */
  readonly step: number
  /** Simulation time, ps. */
  readonly timePs: number
  /** Positions, nm, length 3N (a copy the receiver may keep). */
  readonly positionsNm: Float32Array
  /** Periodic box (nm) or null. */
  readonly box: BoxVectors | null
  /** kJ/mol */
  readonly potentialEnergy: number
  /** kJ/mol */
  readonly kineticEnergy: number
  /** Instantaneous temperature from kinetic energy and degrees of freedom, K. */
  readonly temperatureK: number
}
