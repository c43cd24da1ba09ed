/**
 * LangevinMiddleIntegrator as OpenMM 7.7's ReferenceLangevinMiddleDynamics
 * (the "BAOAB"-like middle scheme of Zhang et al., J. Phys. Chem. A 123, 6056 (2019)):
 *
 *   v  += dt F/m;  constrain velocities
 *   x'  = x + (dt/2) v
 *   v   = a v + sqrt(kT (1 - a^2) / m) R,   a = exp(-gamma dt)
 *   x'  = x' + (dt/2) v;  x_old = x'
 *   constrain x' (reference x)
 *   v  += (x' - x_old) / dt,  x = x'
 *
 * Velocities are on step (no half-step shift for the kinetic energy).
 */
import { BOLTZMANN_KJ_PER_MOL_K } from '../kinetic.ts'
import type { Rng } from '../rng.ts'
import type { DynamicsParticles, IntegratorKernel } from './integrator-kernel.ts'

export class LangevinMiddleKernel implements IntegratorKernel {
  private readonly xPrime: Float64Array
  private readonly oldX: Float64Array

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
    this.oldX = new Float64Array(3 * n)
  }

  step (positionsNm: Float64Array, velocities: Float64Array, forces: Float64Array): boolean {
    const { inverseMasses, constraints } = this.particles
    const dt = this.stepSizePs
    const n = inverseMasses.length
    const xPrime = this.xPrime
    const oldX = this.oldX
    const rng = this.rng
    let converged = true

    for (let i = 0; i < n; i++) {
      const invMass = inverseMasses[i]
      if (invMass === 0) continue
      const scale = dt * invMass
      for (let k = 3 * i; k < 3 * i + 3; k++) velocities[k] += scale * forces[k]
    }
    if (constraints !== null) {
      converged = constraints.applyToVelocities(positionsNm, velocities, inverseMasses, this.constraintTolerance) && converged
    }

    const halfdt = 0.5 * dt
    const kT = BOLTZMANN_KJ_PER_MOL_K * this.temperatureK
    const vscale = Math.exp(-dt * this.frictionPerPs)
    const noisescale = Math.sqrt(1 - vscale * vscale)
    for (let i = 0; i < n; i++) {
      const invMass = inverseMasses[i]
      if (invMass === 0) continue
      const noise = noisescale * Math.sqrt(kT * invMass)
      const k = 3 * i
      xPrime[k] = positionsNm[k] + velocities[k] * halfdt
      xPrime[k + 1] = positionsNm[k + 1] + velocities[k + 1] * halfdt
      xPrime[k + 2] = positionsNm[k + 2] + velocities[k + 2] * halfdt
      const rx = rng.nextGaussian()
      const ry = rng.nextGaussian()
      const rz = rng.nextGaussian()
      velocities[k] = vscale * velocities[k] + noise * rx
      velocities[k + 1] = vscale * velocities[k + 1] + noise * ry
      velocities[k + 2] = vscale * velocities[k + 2] + noise * rz
      xPrime[k] = xPrime[k] + velocities[k] * halfdt
      xPrime[k + 1] = xPrime[k + 1] + velocities[k + 1] * halfdt
      xPrime[k + 2] = xPrime[k + 2] + velocities[k + 2] * halfdt
      oldX[k] = xPrime[k]
      oldX[k + 1] = xPrime[k + 1]
      oldX[k + 2] = xPrime[k + 2]
    }
    if (constraints !== null) converged = constraints.apply(positionsNm, xPrime, inverseMasses, this.constraintTolerance) && converged

    const invStepSize = 1 / dt
    for (let i = 0; i < n; i++) {
      if (inverseMasses[i] === 0) continue
      for (let k = 3 * i; k < 3 * i + 3; k++) {
        velocities[k] += (xPrime[k] - oldX[k]) * invStepSize
        positionsNm[k] = xPrime[k]
      }
    }
    return converged
  }
}
