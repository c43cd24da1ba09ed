/**
 * Leapfrog Verlet, as OpenMM 7.7's ReferenceVerletDynamics:
 *
 *   v(t+dt/2) = v(t-dt/2) + dt F(t)/m
 *   x'        = x(t) + dt v(t+dt/2)
 *   constrain x' (reference x(t))
 *   v(t+dt/2) = (x' - x(t)) / dt,  x(t+dt) = x'
 */
import type { DynamicsParticles, IntegratorKernel } from './integrator-kernel.ts'

export class VerletKernel implements IntegratorKernel {
  private readonly xPrime: Float64Array

  constructor (
    readonly stepSizePs: number,
    private readonly particles: DynamicsParticles,
    private readonly constraintTolerance: number,
  ) {
    this.xPrime = new Float64Array(3 * particles.masses.length)
  }

  step (positionsNm: Float64Array, velocities: Float64Array, forces: Float64Array): boolean {
    const { masses, inverseMasses, constraints } = this.particles
    const dt = this.stepSizePs
    const xPrime = this.xPrime
    const n = masses.length
    for (let i = 0; i < n; i++) {
      if (masses[i] === 0) continue
      const invMass = inverseMasses[i]
      for (let k = 3 * i; k < 3 * i + 3; k++) {
        velocities[k] += invMass * forces[k] * dt
        xPrime[k] = positionsNm[k] + velocities[k] * dt
      }
    }
    let converged = true
    if (constraints !== null) converged = constraints.apply(positionsNm, xPrime, inverseMasses, this.constraintTolerance)
    const velocityScale = 1 / dt
    for (let i = 0; i < n; i++) {
      if (masses[i] === 0) continue
      for (let k = 3 * i; k < 3 * i + 3; k++) {
        velocities[k] = velocityScale * (xPrime[k] - positionsNm[k])
        positionsNm[k] = xPrime[k]
      }
    }
    return converged
  }
}
