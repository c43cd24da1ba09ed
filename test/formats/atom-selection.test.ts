import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { readPdb } from '../../src/engine/pdb/read-pdb.ts'
import { selectAtoms, subsetTopology } from '../../src/formats/atom-selection.ts'

const repoRoot = path.resolve(new URL('../..', import.meta.url).pathname)
const solvated = readPdb(fs.readFileSync(path.join(repoRoot, 'examples/ala2-tip3p/ala2-tip3p.pdb'), 'utf8'), { maxPdbBytes: 10_000_000 }).topology

test('"protein" keeps every residue that is not water or an ion', t => {
  const keep = selectAtoms('protein', solvated)
  t.is(keep.length, 22)
  t.deepEqual(keep, Array.from({ length: 22 }, (_, i) => i))
  t.true(keep.every(i => !['HOH', 'WAT', 'NA', 'CL'].includes(solvated.residueNames[i])))
})

test('index lists and ranges, sorted and each once; "all"', t => {
  t.deepEqual(selectAtoms('5, 0-2,30,1-3', solvated), [0, 1, 2, 3, 5, 30])
  t.is(selectAtoms('all', solvated).length, solvated.atomCount)
})

test('bad selections are refused with AtomSelectionError', t => {
  for (const bad of ['0-', 'protein,1', '3-1', `0-${solvated.atomCount}`, 'CA', '']) {
    t.is(t.throws(() => selectAtoms(bad, solvated))?.name, 'AtomSelectionError', bad)
  }
})

test('the topology of the kept atoms', t => {
  const kept = subsetTopology(solvated, [1, 4, 22])
  t.is(kept.atomCount, 3)
  t.deepEqual(kept.atomNames, [solvated.atomNames[1], solvated.atomNames[4], solvated.atomNames[22]])
  t.is(kept.residueNames[2], solvated.residueNames[22])
})
