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
  /** dt / m per particle, ps/amu (0 for fixed particles). */
  private readonly kickScale: Float64Array
  /** sqrt(1 - a^2) sqrt(kT / m) per particle, nm/ps: the scale of its random velocity. */
  private readonly noiseScale: Float64Array
  /** a = exp(-gamma dt), the velocity kept by the friction step. */
  private readonly velocityScale: number
  /** Standard normal deviates of one step, 3 per particle with mass, in particle order. */
  private readonly gaussians: Float64Array
  private readonly movingParticleCount: number

  constructor (
    readonly stepSizePs: number,
    temperatureK: number,
    frictionPerPs: number,
    private readonly particles: DynamicsParticles,
    private readonly constraintTolerance: number,
    private readonly rng: Rng,
  ) {
    const n = particles.masses.length
    const inverseMasses = particles.inverseMasses
    this.xPrime = new Float64Array(3 * n)
    this.oldX = new Float64Array(3 * n)
    const dt = stepSizePs
    const kT = BOLTZMANN_KJ_PER_MOL_K * temperatureK
    this.velocityScale = Math.exp(-dt * frictionPerPs)
    const noisescale = Math.sqrt(1 - this.velocityScale * this.velocityScale)
    this.kickScale = new Float64Array(n)
    this.noiseScale = new Float64Array(n)
    let moving = 0
    for (let i = 0; i < n; i++) {
      const invMass = inverseMasses[i]
      if (invMass === 0) continue
      moving++
      this.kickScale[i] = dt * invMass
      this.noiseScale[i] = noisescale * Math.sqrt(kT * invMass)
    }
    this.movingParticleCount = moving
    this.gaussians = new Float64Array(3 * moving)
  }

  step (positionsNm: Float64Array, velocities: Float64Array, forces: Float64Array): boolean {
    const { inverseMasses, constraints } = this.particles
    const dt = this.stepSizePs
    const n = inverseMasses.length
    const xPrime = this.xPrime
    const oldX = this.oldX
    const kickScale = this.kickScale
    const noiseScale = this.noiseScale
    let converged = true

    for (let i = 0; i < n; i++) {
      if (inverseMasses[i] === 0) continue
      const scale = kickScale[i]
      const k = 3 * i
      velocities[k] += scale * forces[k]
      velocities[k + 1] += scale * forces[k + 1]
      velocities[k + 2] += scale * forces[k + 2]
    }
    if (constraints !== null) {
      converged = constraints.applyToVelocities(positionsNm, velocities, inverseMasses, this.constraintTolerance) && converged
    }

    const gaussians = this.gaussians
    this.rng.fillGaussians(gaussians, 0, 3 * this.movingParticleCount)
    const halfdt = 0.5 * dt
    const vscale = this.velocityScale
    let g = 0
    for (let i = 0; i < n; i++) {
      if (inverseMasses[i] === 0) continue
      const noise = noiseScale[i]
      const k = 3 * i
      const vx = vscale * velocities[k] + noise * gaussians[g]
      const vy = vscale * velocities[k + 1] + noise * gaussians[g + 1]
      const vz = vscale * velocities[k + 2] + noise * gaussians[g + 2]
      g += 3
      const x = (positionsNm[k] + velocities[k] * halfdt) + vx * halfdt
      const y = (positionsNm[k + 1] + velocities[k + 1] * halfdt) + vy * halfdt
      const z = (positionsNm[k + 2] + velocities[k + 2] * halfdt) + vz * halfdt
      velocities[k] = vx
      velocities[k + 1] = vy
      velocities[k + 2] = vz
      xPrime[k] = x
      xPrime[k + 1] = y
      xPrime[k + 2] = z
      oldX[k] = x
      oldX[k + 1] = y
      oldX[k + 2] = z
    }
    if (constraints !== null) converged = constraints.apply(positionsNm, xPrime, inverseMasses, this.constraintTolerance) && converged

    const invStepSize = 1 / dt
    for (let i = 0; i < n; i++) {
      if (inverseMasses[i] === 0) continue
      const k = 3 * i
      velocities[k] += (xPrime[k] - oldX[k]) * invStepSize
      velocities[k + 1] += (xPrime[k + 1] - oldX[k + 1]) * invStepSize
      velocities[k + 2] += (xPrime[k + 2] - oldX[k + 2]) * invStepSize
      positionsNm[k] = xPrime[k]
      positionsNm[k + 1] = xPrime[k + 1]
      positionsNm[k + 2] = xPrime[k + 2]
    }
    return converged
  }
}
