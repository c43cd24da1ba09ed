/**
 * LangevinIntegrator as OpenMM 7.7's ReferenceStochasticDynamics (a leapfrog
 * Langevin scheme after GROMACS's sd integrator):
 *
 *   v' = a v + ((1-a)/gamma) F/m + sqrt(kT (1 - a^2) / m) R,   a = exp(-gamma dt)
 *        ((1-a)/gamma becomes dt when gamma = 0)
 *   x' = x + dt v'
 *   constrain x' (reference x)
 *   v  = (x' - x) / dt,  x = x'
 *
 * R: one standard normal deviate per degree of freedom, drawn particle by
 * particle (x, y, z), skipping zero-mass particles. Velocities live at half
 * steps, like Verlet's.
 */
import { BOLTZMANN_KJ_PER_MOL_K } from '../kinetic.ts'
import type { Rng } from '../rng.ts'
import type { DynamicsParticles, IntegratorKernel } from './integrator-kernel.ts'

export class LangevinKernel implements IntegratorKernel {
  private readonly xPrime: Float64Array
  private readonly sqrtInverseMasses: Float64Array
  /** Standard normal deviates of one step, 3 per particle with mass, in particle order. */
  private readonly gaussians: Float64Array

  constructor (
    readonly stepSizePs: number,
    private readonly temperatureK: number,
    private readonly frictionPerPs: number,
    private readonly particles: DynamicsParticles,
    private readonly constraintTolerance: number,
    private readonly rng: Rng,
  ) {
    const n = particles.masses.length
    this.xPrime = new Float64Array(3 * n)
    this.sqrtInverseMasses = new Float64Array(n)
    let moving = 0
    for (let i = 0; i < n; i++) {
      this.sqrtInverseMasses[i] = Math.sqrt(particles.inverseMasses[i])
      if (particles.inverseMasses[i] !== 0) moving++
    }
    this.gaussians = new Float64Array(3 * moving)
  }

  step (positionsNm: Float64Array, velocities: Float64Array, forces: Float64Array): boolean {
    const { inverseMasses, constraints } = this.particles
    const dt = this.stepSizePs
    const friction = this.frictionPerPs
    const vscale = Math.exp(-dt * friction)
    const fscale = friction === 0 ? dt : (1 - vscale) / friction
    const kT = BOLTZMANN_KJ_PER_MOL_K * this.temperatureK
    const noisescale = Math.sqrt(kT * (1 - vscale * vscale))
    const xPrime = this.xPrime
    const n = inverseMasses.length
    const gaussians = this.gaussians
    this.rng.fillGaussians(gaussians, 0, gaussians.length)
    let g = 0
    for (let i = 0; i < n; i++) {
      const invMass = inverseMasses[i]
      if (invMass === 0) continue
      const sqrtInvMass = this.sqrtInverseMasses[i]
      for (let k = 3 * i; k < 3 * i + 3; k++) {
        velocities[k] = vscale * velocities[k] + fscale * invMass * forces[k] + noisescale * sqrtInvMass * gaussians[g++]
      }
    }
    for (let i = 0; i < n; i++) {
      if (inverseMasses[i] === 0) continue
      for (let k = 3 * i; k < 3 * i + 3; k++) xPrime[k] = positionsNm[k] + velocities[k] * dt
    }
    let converged = true
    if (constraints !== null) converged = constraints.apply(positionsNm, xPrime, inverseMasses, this.constraintTolerance)
    const invStepSize = 1 / dt
    for (let i = 0; i < n; i++) {
      if (inverseMasses[i] === 0) continue
      for (let k = 3 * i; k < 3 * i + 3; k++) {
        velocities[k] = (xPrime[k] - positionsNm[k]) * invStepSize
        positionsNm[k] = xPrime[k]
      }
    }
    return converged
  }
}
