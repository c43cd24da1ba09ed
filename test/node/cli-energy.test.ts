import test from 'ava'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fixture, isOneLineError, runBinary } from './run-binary.ts'

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mdswarm-cli-energy-'))
test.after.always(() => { fs.rmSync(tmp, { recursive: true, force: true }) })

interface Reference {
  potentialEnergy: number
  groups: Record<string, number>
  forces: number[][]
}

interface EnergyJson {
  potentialEnergy: number
  groups: Record<string, number>
  forces: number[][]
}

function relativeRmsError (ours: number[][], reference: number[][]): number {
  let difference = 0
  let norm = 0
  reference.forEach((row, i) => {
    for (let k = 0; k < 3; k++) {
      difference += (ours[i][k] - row[k]) ** 2
      norm += row[k] ** 2
    }
  })
  return Math.sqrt(difference / norm)
}

for (const name of ['ala2-vacuum-nocutoff', 'ala2-tip3p-rf-cubic']) {
  test(`energy --json on ${name} agrees with OpenMM's Reference platform`, async (t) => {
    const reference = JSON.parse(fs.readFileSync(fixture(name, 'reference.json'), 'utf8')) as Reference
    const result = await runBinary(['energy', '--system', fixture(name, 'system.xml'), '--pdb', fixture(name, 'structure.pdb'), '--state', fixture(name, 'state.xml'), '--json'])
    t.is(result.status, 0, result.stderr)
    const report = JSON.parse(result.stdout) as EnergyJson
    t.deepEqual(Object.keys(report).sort(), ['forces', 'groups', 'potentialEnergy'])
    t.is(typeof report.potentialEnergy, 'number')
    t.deepEqual(Object.keys(report.groups), Object.keys(reference.groups))
    t.is(report.forces.length, reference.forces.length)
    t.true(report.forces.every((row) => row.length === 3 && row.every(Number.isFinite)))

    const relative = Math.abs(report.potentialEnergy - reference.potentialEnergy) / Math.abs(reference.potentialEnergy)
    t.true(relative < 1e-5, `potential energy ${report.potentialEnergy} vs OpenMM ${reference.potentialEnergy} (relative ${relative})`)
    for (const [group, energy] of Object.entries(reference.groups)) {
      t.true(Math.abs(report.groups[group] - energy) <= 1e-5 * Math.max(1, Math.abs(energy)), `group ${group}: ${report.groups[group]} vs ${energy}`)
    }
    const forceError = relativeRmsError(report.forces, reference.forces)
    t.true(forceError < 1e-4, `relative RMS force error ${forceError}`)
  })
}

test('energy without --json prints a short human summary', async (t) => {
  const name = 'ala2-vacuum-nocutoff'
  const result = await runBinary(['energy', '--system', fixture(name, 'system.xml'), '--pdb', fixture(name, 'structure.pdb')])
  t.is(result.status, 0, result.stderr)
  t.regex(result.stdout, /^Potential energy: -?\d+\.\d+ kJ\/mol \(22 particles\)/)
  t.regex(result.stdout, /group\s+3:.*NonbondedForce/)
  t.true(result.stdout.split('\n').length < 12)
})

test('a missing input file gives one line and a non-zero exit', async (t) => {
  const name = 'ala2-vacuum-nocutoff'
  const result = await runBinary(['energy', '--system', path.join(tmp, 'no-such-system.xml'), '--pdb', fixture(name, 'structure.pdb'), '--json'])
  t.is(result.status, 1)
  t.is(result.stdout, '')
  t.true(isOneLineError(result.stderr, 'InputFileError'), result.stderr)
  t.true(result.stderr.includes('no-such-system.xml'))
})

test('malformed System XML gives one line and a non-zero exit', async (t) => {
  const name = 'ala2-vacuum-nocutoff'
  const broken = path.join(tmp, 'broken-system.xml')
  const xml = fs.readFileSync(fixture(name, 'system.xml'), 'utf8')
  fs.writeFileSync(broken, xml.slice(0, Math.floor(xml.length / 2)))
  const result = await runBinary(['energy', '--system', broken, '--pdb', fixture(name, 'structure.pdb'), '--json'])
  t.is(result.status, 1)
  t.true(isOneLineError(result.stderr, 'XmlParseError'), result.stderr)
})

test('a PDB with another particle count gives ParticleCountMismatchError', async (t) => {
  const result = await runBinary(['energy', '--system', fixture('ala2-vacuum-nocutoff', 'system.xml'), '--pdb', fixture('water-box-rigid', 'structure.pdb'), '--json'])
  t.is(result.status, 1)
  t.true(isOneLineError(result.stderr, 'ParticleCountMismatchError'), result.stderr)
})

test('flag problems are UsageErrors with exit status 2', async (t) => {
  const unknown = await runBinary(['energy', '--system', 'x.xml', '--pbd', 'y.pdb'])
  t.is(unknown.status, 2)
  t.true(isOneLineError(unknown.stderr, 'UsageError'), unknown.stderr)
  const missing = await runBinary(['energy', '--pdb', fixture('ala2-vacuum-nocutoff', 'structure.pdb')])
  t.is(missing.status, 2)
  t.true(isOneLineError(missing.stderr, 'UsageError'), missing.stderr)
  t.true(missing.stderr.includes('--system'))
})
