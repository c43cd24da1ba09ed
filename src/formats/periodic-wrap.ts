/**
 * What OpenMM's reporters do for periodic systems (DCDReporter's default
 * `enforcePeriodicBox`): translate every molecule by whole box vectors so its
 * centre (unweighted mean position) lies in the first periodic box. Molecules
 * are the connected groups of particles joined by constraints or
 * HarmonicBondForce bonds, as OpenMM's ContextImpl::getMolecules finds them.
 * Positions inside a molecule are never split across the box.
 *
 * @example
 * const wrapper = new MoleculeWrapper(system)
 * wrapper.wrap(context.positionsNm, context.box, wrappedNm)
 */
import type { BoxVectors, System } from '../engine/system.ts'

export class MoleculeWrapper {
  /** Particle indices grouped by molecule: molecule m is particles[moleculeStart[m] .. moleculeStart[m + 1]). */
  readonly particles: Int32Array
  readonly moleculeStart: Int32Array

  constructor (system: System) {
    const { particles, moleculeStart } = findMolecules(system)
    this.particles = particles
    this.moleculeStart = moleculeStart
  }

  get moleculeCount (): number { return this.moleculeStart.length - 1 }

  /**
   * Writes into `out` (length 3N, may be `positionsNm` itself) the positions
   * with each molecule's centre moved into the first box; `box` in reduced
   * form, nm. Returns `out`.
   */
  wrap (positionsNm: ArrayLike<number>, box: BoxVectors, out: Float64Array): Float64Array {
    const ax = box[0]
    const bx = box[3]; const by = box[4]
    const cx = box[6]; const cy = box[7]; const cz = box[8]
    const { particles, moleculeStart } = this
    for (let molecule = 0; molecule + 1 < moleculeStart.length; molecule++) {
      const start = moleculeStart[molecule]
      const end = moleculeStart[molecule + 1]
      let centerX = 0; let centerY = 0; let centerZ = 0
      for (let k = start; k < end; k++) {
        const i = 3 * particles[k]
        centerX += positionsNm[i]; centerY += positionsNm[i + 1]; centerZ += positionsNm[i + 2]
      }
      const inverseCount = 1 / (end - start)
      centerX *= inverseCount; centerY *= inverseCount; centerZ *= inverseCount
      // As OpenMM's Context::getState: c first, then b, then a.
      const cCells = Math.floor(centerZ / cz)
      let diffX = cx * cCells; let diffY = cy * cCells; const diffZ = cz * cCells
      const bCells = Math.floor((centerY - diffY) / by)
      diffX += bx * bCells; diffY += by * bCells
      const aCells = Math.floor((centerX - diffX) / ax)
      diffX += ax * aCells
      for (let k = start; k < end; k++) {
        const i = 3 * particles[k]
        out[i] = positionsNm[i] - diffX
        out[i + 1] = positionsNm[i + 1] - diffY
        out[i + 2] = positionsNm[i + 2] - diffZ
      }
    }
    return out
  }
}

/** Connected components of the bond graph (constraints and HarmonicBondForce bonds), in order of their lowest particle. */
export function findMolecules (system: System): { particles: Int32Array, moleculeStart: Int32Array } {
  const count = system.particleCount
  // Union-find over particles.
  const parent = new Int32Array(count)
  for (let i = 0; i < count; i++) parent[i] = i
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]]
      i = parent[i]
    }
    return i
  }
  const join = (i: number, j: number): void => {
    const a = root(i)
    const b = root(j)
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
  }
  const { p1, p2 } = system.constraints
  for (let k = 0; k < p1.length; k++) join(p1[k], p2[k])
  for (const force of system.forces) {
    if (force.type === 'HarmonicBondForce') {
      for (let k = 0; k < force.p1.length; k++) join(force.p1[k], force.p2[k])
    }
  }
  // Number molecules by first appearance, then bucket particles (counting sort).
  const moleculeOf = new Int32Array(count)
  const moleculeIndexOfRoot = new Int32Array(count).fill(-1)
  let moleculeCount = 0
  for (let i = 0; i < count; i++) {
    const r = root(i)
    if (moleculeIndexOfRoot[r] === -1) moleculeIndexOfRoot[r] = moleculeCount++
    moleculeOf[i] = moleculeIndexOfRoot[r]
  }
  const moleculeStart = new Int32Array(moleculeCount + 1)
  for (let i = 0; i < count; i++) moleculeStart[moleculeOf[i] + 1]++
  for (let m = 0; m < moleculeCount; m++) moleculeStart[m + 1] += moleculeStart[m]
  const fill = moleculeStart.slice(0, moleculeCount)
  const particles = new Int32Array(count)
  for (let i = 0; i < count; i++) particles[fill[moleculeOf[i]]++] = i
  return { particles, moleculeStart }
}
