/**
 * Molecules as OpenMM's ContextImpl::getMolecules finds them: particles
 * joined by constraints or by bonds of forces that report bonded particles
 * (of the forces the builtin engine runs: HarmonicBondForce). Molecule m
 * holds atoms[start[m] .. start[m+1]), in increasing atom order, and
 * molecules are numbered by their lowest atom.
 */
import type { System } from '../system.ts'

export interface Molecules {
  readonly count: number
  readonly start: Int32Array
  readonly atoms: Int32Array
}

export function findMolecules (system: System): Molecules {
  const n = system.particleCount
  const parent = new Int32Array(n)
  for (let i = 0; i < n; i++) parent[i] = i
  const root = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]]
      i = parent[i]
    }
    return i
  }
  const join = (a: number, b: number): void => {
    const ra = root(a)
    const rb = root(b)
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb)
  }
  const { p1, p2 } = system.constraints
  for (let c = 0; c < p1.length; c++) join(p1[c], p2[c])
  for (const force of system.forces) {
    if (force.type !== 'HarmonicBondForce') continue
    for (let b = 0; b < force.p1.length; b++) join(force.p1[b], force.p2[b])
  }
  const moleculeOfRoot = new Int32Array(n).fill(-1)
  const moleculeOfAtom = new Int32Array(n)
  let count = 0
  for (let i = 0; i < n; i++) {
    const r = root(i)
    if (moleculeOfRoot[r] < 0) moleculeOfRoot[r] = count++
    moleculeOfAtom[i] = moleculeOfRoot[r]
  }
  const start = new Int32Array(count + 1)
  for (let i = 0; i < n; i++) start[moleculeOfAtom[i] + 1]++
  for (let m = 0; m < count; m++) start[m + 1] += start[m]
  const fill = start.slice(0, count)
  const atoms = new Int32Array(n)
  for (let i = 0; i < n; i++) atoms[fill[moleculeOfAtom[i]]++] = i
  return { count, start, atoms }
}
