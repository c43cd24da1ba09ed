/**
 * Small hand-built Systems for the force-kernel tests, and the numerical
 * tools they share (finite differences, relative RMS error, a seeded RNG).
 */
import { ForceEvaluator } from '../../../src/engine/force-evaluator.ts'
import type {
  BoxVectors, Force, HarmonicAngleForce, HarmonicBondForce, NonbondedForce, NonbondedMethod,
  PeriodicTorsionForce, RBTorsionForce, System,
} from '../../../src/engine/system.ts'

/** Mulberry32: small seeded generator for reproducible test geometry. */
export function seededRandom (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function makeSystem (particleCount: number, forces: Force[], defaultBox: BoxVectors | null = null): System {
  return {
    particleCount,
    masses: new Float64Array(particleCount).fill(12),
    constraints: { p1: new Int32Array(0), p2: new Int32Array(0), distanceNm: new Float64Array(0) },
    forces,
    defaultBox,
    forceTypes: forces.map((force) => force.type),
  }
}

export function box (ax: number, by: number, cz: number, bx = 0, cx = 0, cy = 0): BoxVectors {
  return Float64Array.from([ax, 0, 0, bx, by, 0, cx, cy, cz])
}

export function bondForce (pairs: Array<[number, number, number, number]>, group = 0, periodic = false): HarmonicBondForce {
  return {
    type: 'HarmonicBondForce',
    forceGroup: group,
    usesPeriodicBoundaryConditions: periodic,
    p1: Int32Array.from(pairs.map((p) => p[0])),
    p2: Int32Array.from(pairs.map((p) => p[1])),
    lengthNm: Float64Array.from(pairs.map((p) => p[2])),
    k: Float64Array.from(pairs.map((p) => p[3])),
  }
}

export function angleForce (items: Array<[number, number, number, number, number]>, group = 0, periodic = false): HarmonicAngleForce {
  return {
    type: 'HarmonicAngleForce',
    forceGroup: group,
    usesPeriodicBoundaryConditions: periodic,
    p1: Int32Array.from(items.map((p) => p[0])),
    p2: Int32Array.from(items.map((p) => p[1])),
    p3: Int32Array.from(items.map((p) => p[2])),
    angleRad: Float64Array.from(items.map((p) => p[3])),
    k: Float64Array.from(items.map((p) => p[4])),
  }
}

export function torsionForce (items: Array<[number, number, number, number, number, number, number]>, group = 0, periodic = false): PeriodicTorsionForce {
  return {
    type: 'PeriodicTorsionForce',
    forceGroup: group,
    usesPeriodicBoundaryConditions: periodic,
    p1: Int32Array.from(items.map((p) => p[0])),
    p2: Int32Array.from(items.map((p) => p[1])),
    p3: Int32Array.from(items.map((p) => p[2])),
    p4: Int32Array.from(items.map((p) => p[3])),
    periodicity: Int32Array.from(items.map((p) => p[4])),
    phaseRad: Float64Array.from(items.map((p) => p[5])),
    k: Float64Array.from(items.map((p) => p[6])),
  }
}

export function rbForce (items: Array<[number, number, number, number, number[]]>, group = 0, periodic = false): RBTorsionForce {
  return {
    type: 'RBTorsionForce',
    forceGroup: group,
    usesPeriodicBoundaryConditions: periodic,
    p1: Int32Array.from(items.map((p) => p[0])),
    p2: Int32Array.from(items.map((p) => p[1])),
    p3: Int32Array.from(items.map((p) => p[2])),
    p4: Int32Array.from(items.map((p) => p[3])),
    c: Float64Array.from(items.flatMap((p) => p[4])),
  }
}

export interface NonbondedOptions {
  method: NonbondedMethod
  cutoffNm?: number
  switchingDistanceNm?: number | null
  dispersionCorrection?: boolean
  reactionFieldDielectric?: number
  group?: number
  /** [p1, p2, chargeProd, sigma, epsilon] */
  exceptions?: Array<[number, number, number, number, number]>
}

export function nonbondedForce (charge: number[], sigmaNm: number[], epsilon: number[], options: NonbondedOptions): NonbondedForce {
  const exceptions = options.exceptions ?? []
  return {
    type: 'NonbondedForce',
    forceGroup: options.group ?? 0,
    method: options.method,
    cutoffNm: options.cutoffNm ?? 1,
    useSwitchingFunction: options.switchingDistanceNm != null,
    switchingDistanceNm: options.switchingDistanceNm ?? -1,
    useDispersionCorrection: options.dispersionCorrection ?? false,
    reactionFieldDielectric: options.reactionFieldDielectric ?? 78.3,
    ewaldErrorTolerance: 5e-4,
    reciprocalSpaceForceGroup: -1,
    charge: Float64Array.from(charge),
    sigmaNm: Float64Array.from(sigmaNm),
    epsilon: Float64Array.from(epsilon),
    exceptionP1: Int32Array.from(exceptions.map((e) => e[0])),
    exceptionP2: Int32Array.from(exceptions.map((e) => e[1])),
    exceptionChargeProd: Float64Array.from(exceptions.map((e) => e[2])),
    exceptionSigmaNm: Float64Array.from(exceptions.map((e) => e[3])),
    exceptionEpsilon: Float64Array.from(exceptions.map((e) => e[4])),
  }
}

/**
 * A small random "liquid": n particles in the periodic cell (default the cube
 * [0,L)^3), kept at least minDistanceNm apart under the minimum image, with
 * mixed charges and LJ types.
 */
export function randomLiquid (n: number, lengthNm: number, seed: number, minDistanceNm = 0.22, cell: BoxVectors = box(lengthNm, lengthNm, lengthNm)): { positions: Float64Array, charge: number[], sigma: number[], epsilon: number[] } {
  const random = seededRandom(seed)
  const positions = new Float64Array(3 * n)
  const minimumImage2 = (dx: number, dy: number, dz: number): number => {
    const nc = Math.round(dz / cell[8]); dx -= nc * cell[6]; dy -= nc * cell[7]; dz -= nc * cell[8]
    const nb = Math.round(dy / cell[4]); dx -= nb * cell[3]; dy -= nb * cell[4]
    dx -= Math.round(dx / cell[0]) * cell[0]
    let best = Infinity
    for (let a = -1; a <= 1; a++) {
      for (let b = -1; b <= 1; b++) {
        for (let c = -1; c <= 1; c++) {
          const x = dx + a * cell[0] + b * cell[3] + c * cell[6]; const y = dy + b * cell[4] + c * cell[7]; const z = dz + c * cell[8]
          best = Math.min(best, x * x + y * y + z * z)
        }
      }
    }
    return best
  }
  let placed = 0
  let attempts = 0
  while (placed < n) {
    if (++attempts > 1_000_000) throw new Error('could not place particles')
    const sa = random(); const sb = random(); const sc = random()
    const x = sa * cell[0] + sb * cell[3] + sc * cell[6]; const y = sb * cell[4] + sc * cell[7]; const z = sc * cell[8]
    let ok = true
    for (let j = 0; j < placed && ok; j++) {
      if (minimumImage2(x - positions[3 * j], y - positions[3 * j + 1], z - positions[3 * j + 2]) < minDistanceNm * minDistanceNm) ok = false
    }
    if (!ok) continue
    positions[3 * placed] = x; positions[3 * placed + 1] = y; positions[3 * placed + 2] = z
    placed++
  }
  const charge: number[] = []; const sigma: number[] = []; const epsilon: number[] = []
  for (let i = 0; i < n; i++) {
    charge.push(i % 2 === 0 ? 0.4 + 0.1 * (i % 3) : -0.5 + 0.05 * (i % 4))
    sigma.push([0.25, 0.3, 0.32][i % 3])
    epsilon.push([0.4, 0.65, 0][i % 3])
  }
  return { positions, charge, sigma, epsilon }
}

export interface Evaluation { energy: number, forces: Float64Array, energyByGroup: Float64Array }

export function evaluate (system: System, positions: Float64Array, periodicBox: BoxVectors | null, groupsMask?: number): Evaluation {
  const evaluator = new ForceEvaluator(system)
  const forces = new Float64Array(3 * system.particleCount)
  const energyByGroup = new Float64Array(32)
  const energy = evaluator.evaluate(positions, periodicBox, forces, energyByGroup, groupsMask)
  return { energy, forces, energyByGroup }
}

/** -dE/dx by central differences with step h (nm), for every coordinate. */
export function finiteDifferenceForces (system: System, positions: Float64Array, periodicBox: BoxVectors | null, h = 1e-6): Float64Array {
  const evaluator = new ForceEvaluator(system)
  const scratchForces = new Float64Array(3 * system.particleCount)
  const energyByGroup = new Float64Array(32)
  const moved = Float64Array.from(positions)
  const result = new Float64Array(positions.length)
  for (let k = 0; k < positions.length; k++) {
    moved[k] = positions[k] + h
    const plus = evaluator.evaluate(moved, periodicBox, scratchForces, energyByGroup)
    moved[k] = positions[k] - h
    const minus = evaluator.evaluate(moved, periodicBox, scratchForces, energyByGroup)
    moved[k] = positions[k]
    result[k] = -(plus - minus) / (2 * h)
  }
  return result
}

/** sqrt(sum (a-b)^2 / sum b^2). */
export function relativeRmsError (actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let numerator = 0
  let denominator = 0
  for (let k = 0; k < expected.length; k++) {
    numerator += (actual[k] - expected[k]) ** 2
    denominator += expected[k] ** 2
  }
  return Math.sqrt(numerator / denominator)
}

const COULOMB = 138.93545764438198

/**
 * Nonbonded energy and forces by brute force over all pairs and the 125
 * nearest lattice images (true minimum image), written independently of the
 * kernels from OpenMM's definitions. Slow; for tests only.
 */
export function bruteForceNonbonded (force: NonbondedForce, positions: Float64Array, periodicBox: BoxVectors | null): { energy: number, forces: Float64Array } {
  const n = force.charge.length
  const forces = new Float64Array(3 * n)
  const excluded = new Set<number>()
  for (let e = 0; e < force.exceptionP1.length; e++) {
    const a = force.exceptionP1[e]; const b = force.exceptionP2[e]
    excluded.add(Math.min(a, b) * n + Math.max(a, b))
  }
  const cutoff = force.method === 'NoCutoff' ? Infinity : force.cutoffNm
  const eps = force.reactionFieldDielectric
  const krf = force.method === 'NoCutoff' ? 0 : (eps - 1) / ((2 * eps + 1) * cutoff ** 3)
  const crf = force.method === 'NoCutoff' ? 0 : 3 * eps / ((2 * eps + 1) * cutoff)
  const rs = force.switchingDistanceNm
  const periodic = force.method === 'CutoffPeriodic'
  let energy = 0
  const addPair = (i: number, j: number, dx: number, dy: number, dz: number, chargeProd: number, sigma: number, epsilon: number, reactionField: boolean, switching: boolean): void => {
    const r = Math.hypot(dx, dy, dz)
    const x6 = (sigma / r) ** 6
    let lj = 4 * epsilon * (x6 * x6 - x6)
    let dLj = 4 * epsilon * (-12 * x6 * x6 + 6 * x6) / r
    if (switching && r > rs) {
      const t = (r - rs) / (cutoff - rs)
      const s = 1 - 10 * t ** 3 + 15 * t ** 4 - 6 * t ** 5
      const ds = (-30 * t ** 2 + 60 * t ** 3 - 30 * t ** 4) / (cutoff - rs)
      dLj = dLj * s + lj * ds
      lj *= s
    }
    const coulomb = reactionField ? COULOMB * chargeProd * (1 / r + krf * r * r - crf) : COULOMB * chargeProd / r
    const dCoulomb = reactionField ? COULOMB * chargeProd * (-1 / (r * r) + 2 * krf * r) : -COULOMB * chargeProd / (r * r)
    energy += lj + coulomb
    const g = (dLj + dCoulomb) / r // dE/dr / r, d = x_j - x_i
    forces[3 * i] += g * dx; forces[3 * i + 1] += g * dy; forces[3 * i + 2] += g * dz
    forces[3 * j] -= g * dx; forces[3 * j + 1] -= g * dy; forces[3 * j + 2] -= g * dz
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (excluded.has(i * n + j)) continue
      let dx = positions[3 * j] - positions[3 * i]
      let dy = positions[3 * j + 1] - positions[3 * i + 1]
      let dz = positions[3 * j + 2] - positions[3 * i + 2]
      if (periodic && periodicBox !== null) {
        // bring the raw difference near the origin (atoms may lie far outside the cell), then search images
        const nc = Math.round(dz / periodicBox[8])
        dx -= nc * periodicBox[6]; dy -= nc * periodicBox[7]; dz -= nc * periodicBox[8]
        const nb = Math.round(dy / periodicBox[4])
        dx -= nb * periodicBox[3]; dy -= nb * periodicBox[4]
        dx -= Math.round(dx / periodicBox[0]) * periodicBox[0]
        let best = Infinity; let bx = 0; let by = 0; let bz = 0
        for (let a = -2; a <= 2; a++) {
          for (let b = -2; b <= 2; b++) {
            for (let c = -2; c <= 2; c++) {
              const x = dx + a * periodicBox[0] + b * periodicBox[3] + c * periodicBox[6]
              const y = dy + b * periodicBox[4] + c * periodicBox[7]
              const z = dz + c * periodicBox[8]
              const r2 = x * x + y * y + z * z
              if (r2 < best) { best = r2; bx = x; by = y; bz = z }
            }
          }
        }
        dx = bx; dy = by; dz = bz
      }
      if (dx * dx + dy * dy + dz * dz >= cutoff * cutoff) continue
      addPair(i, j, dx, dy, dz, force.charge[i] * force.charge[j], 0.5 * (force.sigmaNm[i] + force.sigmaNm[j]),
        Math.sqrt(force.epsilon[i] * force.epsilon[j]), force.method !== 'NoCutoff', force.method !== 'NoCutoff' && force.useSwitchingFunction)
    }
  }
  for (let e = 0; e < force.exceptionP1.length; e++) {
    if (force.exceptionChargeProd[e] === 0 && force.exceptionEpsilon[e] === 0) continue
    const i = force.exceptionP1[e]; const j = force.exceptionP2[e]
    addPair(i, j, positions[3 * j] - positions[3 * i], positions[3 * j + 1] - positions[3 * i + 1], positions[3 * j + 2] - positions[3 * i + 2],
      force.exceptionChargeProd[e], force.exceptionSigmaNm[e], force.exceptionEpsilon[e], false, false)
  }
  return { energy, forces }
}
