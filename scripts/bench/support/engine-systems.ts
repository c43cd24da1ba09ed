/**
 * The systems the engine benchmarks run (scripts/bench/engine.ts,
 * engine-ab.ts, and the GPU check scripts/device/openmm-gpu-driver.ts):
 * each a folder holding OpenMM's system.xml, integrator.xml and state.xml
 * plus a PDB, all LangevinMiddleIntegrator 2 fs.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface BenchSystem {
  readonly name: string
  /** Folder, relative to the repository root. */
  readonly folder: string
  readonly pdb: string
}

export const ENGINE_BENCH_SYSTEMS: readonly BenchSystem[] = [
  // alanine dipeptide in vacuum (22 atoms, NoCutoff, HBonds) and in 750 TIP3P waters (2,272 atoms, reaction field
  // 0.9 nm, rigid water)
  { name: 'ala2-vacuum', folder: 'examples/ala2', pdb: 'ala2.pdb' },
  { name: 'ala2-tip3p', folder: 'examples/ala2-tip3p', pdb: 'ala2-tip3p.pdb' },
  // PME (issue 7): alanine dipeptide in 750 TIP3P waters (2,272 atoms, PME 0.9 nm, grid 26^3) and villin in water
  // (8,867 atoms, PME 0.9 nm), from the fixtures of scripts/fixtures/build_systems_part2.py.
  { name: 'ala2-tip3p-pme', folder: 'test/fixtures/pme-cubic', pdb: 'structure.pdb' },
  { name: 'villin-pme', folder: 'test/fixtures/pme-villin', pdb: 'structure.pdb' },
]

/** The benchmark system called `name`; an Error naming the choices otherwise. */
export function benchSystem (name: string): BenchSystem {
  const system = ENGINE_BENCH_SYSTEMS.find((s) => s.name === name)
  if (system === undefined) throw new Error(`unknown system ${name}; one of ${ENGINE_BENCH_SYSTEMS.map((s) => s.name).join(', ')}`)
  return system
}

/** Paths of a system's input files under `repoRoot`. */
export function inputPaths (system: BenchSystem, repoRoot: string): { system: string, integrator: string, state: string, pdb: string } {
  const folder = path.join(repoRoot, system.folder)
  return {
    system: path.join(folder, 'system.xml'),
    integrator: path.join(folder, 'integrator.xml'),
    state: path.join(folder, 'state.xml'),
    pdb: path.join(folder, system.pdb),
  }
}

/** A system's inputs as Simulation.fromInputs and OpenmmEngine.start take them. */
export function readInputs (system: BenchSystem, repoRoot: string): { systemXml: string, integratorXml: string, stateXml: string, pdb: string } {
  const files = inputPaths(system, repoRoot)
  return {
    systemXml: fs.readFileSync(files.system, 'utf8'),
    integratorXml: fs.readFileSync(files.integrator, 'utf8'),
    stateXml: fs.readFileSync(files.state, 'utf8'),
    pdb: fs.readFileSync(files.pdb, 'utf8'),
  }
}
