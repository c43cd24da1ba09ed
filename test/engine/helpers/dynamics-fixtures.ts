/**
 * Fixture loading for the dynamics tests: OpenMM-serialized System,
 * Integrator and State XML from `test/fixtures/`, read with the engine's own
 * parsers.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { IntegratorSpec } from '../../../src/engine/integrator-spec.ts'
import type { SimulationState } from '../../../src/engine/state.ts'
import type { System } from '../../../src/engine/system.ts'
import { parseIntegratorXml } from '../../../src/engine/xml/integrator-xml.ts'
import { parseStateXml } from '../../../src/engine/xml/state-xml.ts'
import { parseSystemXml } from '../../../src/engine/xml/system-xml.ts'

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures')

export function fixtureText (name: string, file: string): string {
  return fs.readFileSync(path.join(FIXTURES_DIR, name, file), 'utf8')
}

export function fixtureJson<T = any> (name: string, file: string): T {
  return JSON.parse(fixtureText(name, file)) as T
}

export interface DynamicsFixture {
  system: System
  state: SimulationState
  integrator: (file: string) => IntegratorSpec
}

export function loadDynamicsFixture (name: 'ala2-vacuum-dynamics' | 'water-box-rigid'): DynamicsFixture {
  return {
    system: parseSystemXml(fixtureText(name, 'system.xml')),
    state: parseStateXml(fixtureText(name, 'state.xml')),
    integrator: (file: string) => parseIntegratorXml(fixtureText(name, file)),
  }
}

/** Largest relative deviation |r_ij/d - 1| over the System's constraints. */
export function maxConstraintError (system: System, positionsNm: Float64Array): number {
  const { p1, p2, distanceNm } = system.constraints
  let worst = 0
  for (let c = 0; c < p1.length; c++) {
    const a = 3 * p1[c]
    const b = 3 * p2[c]
    const r = Math.hypot(positionsNm[a] - positionsNm[b], positionsNm[a + 1] - positionsNm[b + 1], positionsNm[a + 2] - positionsNm[b + 2])
    worst = Math.max(worst, Math.abs(r / distanceNm[c] - 1))
  }
  return worst
}

/** Largest |(v_i - v_j) . (r_i - r_j)| / |r_ij| (nm/ps) over the constraints: relative velocity along each bond. */
export function maxConstraintVelocity (system: System, positionsNm: Float64Array, velocities: Float64Array): number {
  const { p1, p2 } = system.constraints
  let worst = 0
  for (let c = 0; c < p1.length; c++) {
    const a = 3 * p1[c]
    const b = 3 * p2[c]
    const rx = positionsNm[a] - positionsNm[b]
    const ry = positionsNm[a + 1] - positionsNm[b + 1]
    const rz = positionsNm[a + 2] - positionsNm[b + 2]
    const dot = (velocities[a] - velocities[b]) * rx + (velocities[a + 1] - velocities[b + 1]) * ry + (velocities[a + 2] - velocities[b + 2]) * rz
    worst = Math.max(worst, Math.abs(dot) / Math.hypot(rx, ry, rz))
  }
  return worst
}

export function mean (xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}

export function standardDeviation (xs: readonly number[]): number {
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1))
}
