/**
 * Integrator kernels for the builtin engine, chosen by IntegratorSpec type.
 *
 * @example
 * const kernel = createIntegratorKernel(spec, particles, rng)
 * kernel.step(positionsNm, velocitiesNmPerPs, forces)
 */
import { InvalidIntegratorError, UnsupportedIntegratorError } from '../errors.ts'
import type { IntegratorSpec } from '../integrator-spec.ts'
import type { Rng } from '../rng.ts'
import type { DynamicsParticles, IntegratorKernel } from './integrator-kernel.ts'
import { LangevinMiddleKernel } from './langevin-middle.ts'
import { LangevinKernel } from './langevin.ts'
import { VerletKernel } from './verlet.ts'

export type { DynamicsParticles, IntegratorKernel } from './integrator-kernel.ts'
export { inverseMassesOf } from './integrator-kernel.ts'

/** Refuses step sizes, temperatures, frictions and tolerances no integrator can use. */
export function validateIntegratorSpec (spec: IntegratorSpec): void {
  if (!(Number.isFinite(spec.stepSizePs) && spec.stepSizePs > 0)) {
    throw new InvalidIntegratorError(`The integrator's step size must be a positive number of picoseconds, got ${spec.stepSizePs}.`)
  }
  if (!(Number.isFinite(spec.constraintTolerance) && spec.constraintTolerance > 0)) {
    throw new InvalidIntegratorError(`The integrator's constraint tolerance must be a positive number, got ${spec.constraintTolerance}.`)
  }
  if (spec.type === 'LangevinIntegrator' || spec.type === 'LangevinMiddleIntegrator') {
    if (!(Number.isFinite(spec.temperatureK) && spec.temperatureK >= 0)) {
      throw new InvalidIntegratorError(`The ${spec.type}'s temperature must be a non-negative number of kelvin, got ${spec.temperatureK}.`)
    }
    if (!(Number.isFinite(spec.frictionPerPs) && spec.frictionPerPs >= 0)) {
      throw new InvalidIntegratorError(`The ${spec.type}'s friction must be a non-negative number per picosecond, got ${spec.frictionPerPs}.`)
    }
  }
}

/** True when the integrator draws random numbers (and so needs an Rng). */
export function isStochastic (spec: IntegratorSpec): boolean {
  return spec.type === 'LangevinIntegrator' || spec.type === 'LangevinMiddleIntegrator'
}

export function createIntegratorKernel (spec: IntegratorSpec, particles: DynamicsParticles, rng: Rng | null): IntegratorKernel {
  validateIntegratorSpec(spec)
  switch (spec.type) {
    case 'VerletIntegrator':
      return new VerletKernel(spec.stepSizePs, particles, spec.constraintTolerance)
    case 'LangevinIntegrator':
    case 'LangevinMiddleIntegrator': {
      if (rng === null) throw new Error(`${spec.type} needs a random number generator`)
      const Kernel = spec.type === 'LangevinIntegrator' ? LangevinKernel : LangevinMiddleKernel
      return new Kernel(spec.stepSizePs, spec.temperatureK, spec.frictionPerPs, particles, spec.constraintTolerance, rng)
    }
    default:
      throw new UnsupportedIntegratorError((spec as { type: string }).type)
  }
}
