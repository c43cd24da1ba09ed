/**
 * The NonbondedForce exceptions that still interact (1-4 pairs): plain
 * Coulomb + Lennard-Jones with the exception's own parameters, no cutoff, no
 * reaction field and no Ewald screening, as OpenMM computes them for every
 * nonbonded method. Exceptions with zero chargeProd and epsilon are pure
 * exclusions and are left out here (the kernels skip them in their pair loops).
 */
import { ONE_4PI_EPS0 } from './constants.ts'
import { displacementInto } from './periodic.ts'
import type { BoxVectors, NonbondedForce } from '../system.ts'

export class ExceptionPairs {
  private readonly p1: Int32Array
  private readonly p2: Int32Array
  /** nm */
  private readonly sigma: Float64Array
  /** 4 epsilon, kJ/mol */
  private readonly fourEpsilon: Float64Array
  /** ONE_4PI_EPS0 * chargeProd, kJ/mol nm */
  private readonly scaledChargeProd: Float64Array
  /** Scratch for the periodic minimum image, nm. */
  private readonly delta = new Float64Array(3)

  constructor (force: NonbondedForce) {
    const exceptionCount = force.exceptionP1.length
    let interacting = 0
    for (let e = 0; e < exceptionCount; e++) {
      if (force.exceptionChargeProd[e] !== 0 || force.exceptionEpsilon[e] !== 0) interacting++
    }
    this.p1 = new Int32Array(interacting)
    this.p2 = new Int32Array(interacting)
    this.sigma = new Float64Array(interacting)
    this.fourEpsilon = new Float64Array(interacting)
    this.scaledChargeProd = new Float64Array(interacting)
    let slot = 0
    for (let e = 0; e < exceptionCount; e++) {
      if (force.exceptionChargeProd[e] === 0 && force.exceptionEpsilon[e] === 0) continue
      this.p1[slot] = force.exceptionP1[e]
      this.p2[slot] = force.exceptionP2[e]
      this.sigma[slot] = force.exceptionSigmaNm[e]
      this.fourEpsilon[slot] = 4 * force.exceptionEpsilon[e]
      this.scaledChargeProd[slot] = ONE_4PI_EPS0 * force.exceptionChargeProd[e]
      slot++
    }
  }

  /**
   * Adds the pairs' forces (kJ/mol/nm) into `forcesOut` and returns their
   * energy (kJ/mol). `periodicBox`: minimum image in that box, or null for
   * plain distances (OpenMM applies periodicity to exceptions only when
   * `exceptionsUsePeriodic` is set).
   */
  compute (positionsNm: Float64Array, periodicBox: BoxVectors | null, forcesOut: Float64Array): number {
    const { p1, p2, sigma, fourEpsilon: fourEpsilons, scaledChargeProd, delta } = this
    let energy = 0
    for (let e = 0; e < p1.length; e++) {
      const a = 3 * p1[e]
      const b = 3 * p2[e]
      const r2 = displacementInto(positionsNm, a, b, periodicBox, delta, 0)
      const dx = delta[0]; const dy = delta[1]; const dz = delta[2]
      const inverseR = 1 / Math.sqrt(r2)
      const inverseR2 = inverseR * inverseR
      const sig2 = sigma[e] * sigma[e] * inverseR2
      const sig6 = sig2 * sig2 * sig2
      const fourEpsilon = fourEpsilons[e]
      const chargeProd = scaledChargeProd[e]
      energy += fourEpsilon * (sig6 - 1) * sig6 + chargeProd * inverseR
      const dEdR = (fourEpsilon * (12 * sig6 - 6) * sig6 + chargeProd * inverseR) * inverseR2
      const fx = dEdR * dx; const fy = dEdR * dy; const fz = dEdR * dz
      forcesOut[a] -= fx; forcesOut[a + 1] -= fy; forcesOut[a + 2] -= fz
      forcesOut[b] += fx; forcesOut[b + 1] += fy; forcesOut[b + 2] += fz
    }
    return energy
  }
}
