/**
 * Per-atom exclusion lists for the nonbonded pair loop, in CSR form: the
 * partners of atom i are `partners[start[i] .. start[i+1])`, sorted. Every
 * NonbondedForce exception (including the ones with zero parameters) removes
 * its pair from the direct pair loop, as in OpenMM.
 */
export interface ExclusionLists {
  readonly start: Int32Array
  readonly partners: Int32Array
}

export function buildExclusionLists (particleCount: number, p1: Int32Array, p2: Int32Array): ExclusionLists {
  const counts = new Int32Array(particleCount + 1)
  for (let n = 0; n < p1.length; n++) {
    counts[p1[n] + 1]++
    counts[p2[n] + 1]++
  }
  const start = new Int32Array(particleCount + 1)
  for (let i = 0; i < particleCount; i++) start[i + 1] = start[i] + counts[i + 1]
  const fill = start.slice(0, particleCount)
  const partners = new Int32Array(start[particleCount])
  for (let n = 0; n < p1.length; n++) {
    partners[fill[p1[n]]++] = p2[n]
    partners[fill[p2[n]]++] = p1[n]
  }
  for (let i = 0; i < particleCount; i++) partners.subarray(start[i], start[i + 1]).sort()
  return { start, partners }
}
