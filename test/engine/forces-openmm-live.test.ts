/**
 * Live comparison with OpenMM 7.7's Reference platform through
 * `/usr/bin/python3 scripts/openmm/evaluate.py`, on configurations made up
 * here (fixture systems with randomly displaced atoms, and a rescaled box),
 * so that nothing precomputed is reused. Skipped only when OpenMM cannot be
 * imported.
 */
import test from 'ava'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ForceEvaluator } from '../../src/engine/force-evaluator.ts'
import { parseStateXml } from '../../src/engine/xml/state-xml.ts'
import { parseSystemXml } from '../../src/engine/xml/system-xml.ts'
import { relativeRmsError, seededRandom } from './helpers/force-systems.ts'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const PYTHON = '/usr/bin/python3'
const hasOpenmm = spawnSync(PYTHON, ['-c', 'import openmm'], { stdio: 'ignore' }).status === 0
const liveTest = hasOpenmm ? test : test.skip
if (!hasOpenmm) console.warn('forces-openmm-live: /usr/bin/python3 cannot import openmm; live OpenMM comparisons skipped')

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-forces-live-'))
test.after.always(() => fs.rmSync(tempDir, { recursive: true, force: true }))

function stateXml (positionsNm: Float64Array, box: Float64Array | null): string {
  const lines = ['<?xml version="1.0" ?>', '<State openmmVersion="7.7" stepCount="0" time="0" type="State" version="1">']
  if (box !== null) {
    lines.push('\t<PeriodicBoxVectors>')
    for (const [label, offset] of [['A', 0], ['B', 3], ['C', 6]] as const) {
      lines.push(`\t\t<${label} x="${box[offset]}" y="${box[offset + 1]}" z="${box[offset + 2]}"/>`)
    }
    lines.push('\t</PeriodicBoxVectors>')
  }
  lines.push('\t<Positions>')
  for (let i = 0; i < positionsNm.length; i += 3) lines.push(`\t\t<Position x="${positionsNm[i]}" y="${positionsNm[i + 1]}" z="${positionsNm[i + 2]}"/>`)
  lines.push('\t</Positions>', '</State>', '')
  return lines.join('\n')
}

interface OpenmmResult { potentialEnergy: number, groups: Record<string, number>, forces: number[][] }

function compareWithOpenmm (t: import('ava').ExecutionContext, fixture: string, displacementNm: number, boxScale: number, seed: number): void {
  const dir = path.join(repoRoot, 'test', 'fixtures', fixture)
  const systemPath = path.join(dir, 'system.xml')
  const system = parseSystemXml(fs.readFileSync(systemPath, 'utf8'))
  const state = parseStateXml(fs.readFileSync(path.join(dir, 'state.xml'), 'utf8'))
  const random = seededRandom(seed)
  const positions = Float64Array.from(state.positionsNm, (value) => boxScale * value + displacementNm * (2 * random() - 1))
  const box = state.box === null ? null : Float64Array.from(state.box, (value) => boxScale * value)
  const statePath = path.join(tempDir, `${fixture}-${seed}.xml`)
  fs.writeFileSync(statePath, stateXml(positions, box))

  const run = spawnSync(PYTHON, [path.join(repoRoot, 'scripts', 'openmm', 'evaluate.py'), '--system', systemPath, '--state', statePath, '--platform', 'Reference'],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (run.status !== 0) throw new Error(`evaluate.py failed: ${run.stderr}`)
  const expected = JSON.parse(run.stdout) as OpenmmResult

  const evaluator = new ForceEvaluator(system)
  const forces = new Float64Array(3 * system.particleCount)
  const energyByGroup = new Float64Array(32)
  const energy = evaluator.evaluate(positions, box, forces, energyByGroup)
  const energyError = Math.abs(energy - expected.potentialEnergy) / Math.abs(expected.potentialEnergy)
  const forceError = relativeRmsError(forces, expected.forces.flat())
  t.log(`${fixture}: relative energy error ${energyError.toExponential(1)}, relative RMS force error ${forceError.toExponential(1)}`)
  t.true(energyError <= 1e-5, `energy ${energy} vs OpenMM ${expected.potentialEnergy}`)
  t.true(forceError <= 1e-4)
  for (const [group, value] of Object.entries(expected.groups)) {
    t.true(Math.abs(energyByGroup[Number(group)] - value) <= 1e-5 * Math.max(1, Math.abs(value)), `group ${group}: ${energyByGroup[Number(group)]} vs ${value}`)
  }
}

liveTest('alanine dipeptide in vacuum (all bonded forces, RB torsions, NoCutoff), displaced atoms, vs OpenMM Reference', t => {
  compareWithOpenmm(t, 'ala2-vacuum-rb', 0.01, 1, 21)
})

liveTest('alanine dipeptide CutoffNonPeriodic (reaction field), displaced atoms, vs OpenMM Reference', t => {
  compareWithOpenmm(t, 'ala2-vacuum-cutoffnonperiodic', 0.01, 1, 22)
})

liveTest('water box CutoffPeriodic (reaction field, dispersion correction), expanded box and displaced atoms, vs OpenMM Reference', t => {
  compareWithOpenmm(t, 'water-box-rigid', 0.005, 1.03, 23)
})
