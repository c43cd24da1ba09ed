/**
 * Long-range dispersion correction of a NonbondedForce, exactly as OpenMM
 * 7.7's NonbondedForceImpl::calcDispersionCorrection: a coefficient C
 * (kJ/mol nm^3) such that the energy correction is C / V (V = box volume,
 * nm^3). Only periodic cutoff methods get one; it adds no force.
 */
import type { NonbondedForce } from '../system.ts'

/** Indefinite integral of the LJ interaction times the switching function (OpenMM's evalIntegral). */
function switchedIntegral (r: number, rs: number, rc: number, sigma: number): number {
  const A = 1 / (rc - rs)
  const A2 = A * A
  const A3 = A2 * A
  const sig2 = sigma * sigma
  const sig6 = sig2 * sig2 * sig2
  const rs2 = rs * rs
  const rs3 = rs * rs2
  const r2 = r * r
  const r3 = r * r2
  const r4 = r * r3
  const r5 = r * r4
  const r6 = r * r5
  const r9 = r3 * r6
  return sig6 * A3 * ((
    sig6 * (
      rs3 * 28 * (6 * rs2 * A2 + 15 * rs * A + 10) -
      r * rs2 * 945 * (rs2 * A2 + 2 * rs * A + 1) +
      r2 * rs * 1080 * (2 * rs2 * A2 + 3 * rs * A + 1) -
      r3 * 420 * (6 * rs2 * A2 + 6 * rs * A + 1) +
      r4 * 756 * (2 * rs * A2 + A) -
      r5 * 378 * A2) -
    r6 * (
      rs3 * 84 * (6 * rs2 * A2 + 15 * rs * A + 10) -
      r * rs2 * 3780 * (rs2 * A2 + 2 * rs * A + 1) +
      r2 * rs * 7560 * (2 * rs2 * A2 + 3 * rs * A + 1))
  ) / (252 * r9) -
    Math.log(r) * 10 * (6 * rs2 * A2 + 6 * rs * A + 1) +
    r * 15 * (2 * rs * A2 + A) -
    r2 * 3 * A2
  )
}

/**
 * The coefficient C (kJ/mol nm^3); 0 when the force does not use the
 * correction or is not periodic. `particleCount` is the System's.
 */
export function dispersionCorrectionCoefficient (force: NonbondedForce, particleCount: number): number {
  if (!force.useDispersionCorrection) return 0
  if (force.method === 'NoCutoff' || force.method === 'CutoffNonPeriodic') return 0

  // Particle classes by (sigma, epsilon), in OpenMM's map order (sorted by sigma, then epsilon).
  const classes = new Map<string, { sigma: number, epsilon: number, count: number }>()
  const particles = force.charge.length
  for (let i = 0; i < particles; i++) {
    const sigma = force.sigmaNm[i]
    const epsilon = force.epsilon[i]
    const key = `${sigma}:${epsilon}`
    const entry = classes.get(key)
    if (entry === undefined) classes.set(key, { sigma, epsilon, count: 1 })
    else entry.count++
  }
  const sorted = [...classes.values()].sort((x, y) => x.sigma - y.sigma || x.epsilon - y.epsilon)

  const useSwitch = force.useSwitchingFunction
  const cutoff = force.cutoffNm
  const switchDistance = force.switchingDistanceNm
  const switchTerm = (sigma: number): number => useSwitch
    ? switchedIntegral(cutoff, switchDistance, cutoff, sigma) - switchedIntegral(switchDistance, switchDistance, cutoff, sigma)
    : 0
  let sum1 = 0; let sum2 = 0; let sum3 = 0
  for (const { sigma, epsilon, count: classCount } of sorted) {
    const count = classCount * (classCount + 1) / 2
    const sigma2 = sigma * sigma
    const sigma6 = sigma2 * sigma2 * sigma2
    sum1 += count * epsilon * sigma6 * sigma6
    sum2 += count * epsilon * sigma6
    if (useSwitch) sum3 += count * epsilon * switchTerm(sigma)
  }
  for (let first = 0; first < sorted.length; first++) {
    for (let second = 0; second < first; second++) {
      const sigma = 0.5 * (sorted[first].sigma + sorted[second].sigma)
      const epsilon = Math.sqrt(sorted[first].epsilon * sorted[second].epsilon)
      const count = sorted[first].count * sorted[second].count
      const sigma2 = sigma * sigma
      const sigma6 = sigma2 * sigma2 * sigma2
      sum1 += count * epsilon * sigma6 * sigma6
      sum2 += count * epsilon * sigma6
      if (useSwitch) sum3 += count * epsilon * switchTerm(sigma)
    }
  }
  const numParticles = particleCount
  const numInteractions = numParticles * (numParticles + 1) / 2
  sum1 /= numInteractions
  sum2 /= numInteractions
  sum3 /= numInteractions
  return 8 * numParticles * numParticles * Math.PI * (sum1 / (9 * Math.pow(cutoff, 9)) - sum2 / (3 * Math.pow(cutoff, 3)) + sum3)
}
