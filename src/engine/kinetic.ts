/**
 * Kinetic energy, degrees of freedom and temperature, computed as OpenMM 7.7
 * computes them.
 *
 * Leapfrog integrators (Verlet, Langevin) hold velocities at t - dt/2; OpenMM
 * reports the kinetic energy at t by shifting them half a step with the
 * current forces, v + (dt/2) F/m, then constraining the shifted velocities
 * (tolerance 1e-4) before summing m v^2 / 2 (ReferenceKernels.cpp,
 * computeShiftedKineticEnergy). LangevinMiddleIntegrator's velocities are on
 * step, so its shift is zero, but they are still constrained the same way.
 */
import type { ConstraintSet } from './constraints/constraint-set.ts'
import type { IntegratorSpec } from './integrator-spec.ts'
import type { System } from './system.ts'

/** Boltzmann's constant in kJ/(mol K), as OpenMM 7.7 defines BOLTZ (CODATA 2018 exact values). */
export const BOLTZMANN_KJ_PER_MOL_K = 1.380649e-23 * 6.02214076e23 / 1000

/** Tolerance OpenMM uses for constraining the shifted velocities. */
export const KINETIC_VELOCITY_CONSTRAINT_TOLERANCE = 1e-4

/** Time (ps) by which the integrator's velocities must be shifted to be on step (OpenMM's computeKineticEnergy). */
export function kineticEnergyTimeShiftPs (integrator: IntegratorSpec): number {
  return integrator.type === 'LangevinMiddleIntegrator' ? 0 : 0.5 * integrator.stepSizePs
}

/**
 * Kinetic energy in kJ/mol of `velocities` (nm/ps) shifted by `timeShiftPs`
 * with `forces` (kJ/mol/nm), constrained by `constraints`. `scratch` (3N) is
 * overwritten with the shifted velocities.
 */
export function shiftedKineticEnergy (
  masses: Float64Array,
  inverseMasses: Float64Array,
  positionsNm: Float64Array,
  velocities: Float64Array,
  forces: Float64Array,
  timeShiftPs: number,
  constraints: ConstraintSet | null,
  scratch: Float64Array,
): number {
  const n = masses.length
  for (let i = 0; i < n; i++) {
    const m = masses[i]
    const scale = m > 0 ? timeShiftPs / m : 0
    for (let k = 3 * i; k < 3 * i + 3; k++) scratch[k] = m > 0 ? velocities[k] + forces[k] * scale : velocities[k]
  }
  if (constraints !== null) constraints.applyToVelocities(positionsNm, scratch, inverseMasses, KINETIC_VELOCITY_CONSTRAINT_TOLERANCE)
  let energy = 0
  for (let i = 0; i < n; i++) {
    const m = masses[i]
    if (m > 0) {
      const vx = scratch[3 * i]
      const vy = scratch[3 * i + 1]
      const vz = scratch[3 * i + 2]
      energy += m * (vx * vx + vy * vy + vz * vz)
    }
  }
  return 0.5 * energy
}

/**
 * Degrees of freedom as OpenMM's StateDataReporter counts them: 3 per
 * particle with mass, minus one per constraint involving a particle with
 * mass, minus 3 when the System has a CMMotionRemover.
 */
export function degreesOfFreedom (system: System): number {
  let dof = 0
  for (let i = 0; i < system.particleCount; i++) if (system.masses[i] > 0) dof += 3
  const { p1, p2 } = system.constraints
  for (let c = 0; c < p1.length; c++) if (system.masses[p1[c]] > 0 || system.masses[p2[c]] > 0) dof--
  if (system.forces.some(f => f.type === 'CMMotionRemover')) dof -= 3
  return dof
}

/** Instantaneous temperature (K) from kinetic energy (kJ/mol): 2 KE / (dof R). */
export function temperatureFromKineticEnergy (kineticEnergy: number, dof: number): number {
  return dof > 0 ? 2 * kineticEnergy / (dof * BOLTZMANN_KJ_PER_MOL_K) : 0
}
