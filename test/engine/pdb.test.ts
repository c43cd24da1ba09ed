import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { genericTopology, readPdb, writePdb } from '../../src/engine/index.ts'
import type { PdbStructure, Topology } from '../../src/engine/index.ts'
import { fixtureDirs, fixturesRoot, makeTempDir, pythonHas, runPython, sharedData } from './io-helpers.ts'

const tmp = makeTempDir('mdswarm-pdb-test-')
test.after.always(() => fs.rmSync(tmp, { recursive: true, force: true }))

// Columns: ATOM/HETATM 1-6, serial 7-11, name 13-16, altLoc 17, resName 18-20(21), chain 22, resSeq 23-26, iCode 27, x 31-38, y 39-46, z 47-54, element 77-78.
const SMALL_PDB = [
  'HEADER    TEST',
  'CRYST1   30.000   30.000   30.000 120.00 120.00  90.00 P 1           1 ',
  'ATOM      1  N   ALA A   1      -0.677  -1.230  -0.491  1.00  0.00           N  ',
  'ATOM      2  CA  ALA A   1      -0.001   0.064  -0.491  1.00  0.00              ',
  'ATOM      3 1HB  ALA A   1       1.500   0.100   0.000  1.00  0.00              ',
  'ATOM      4  CB AALA A   1       1.000   1.000   1.000  0.50  0.00           C  ',
  'ATOM      5  CB BALA A   1       9.000   9.000   9.000  0.50  0.00           C  ',
  'TER       6      ALA A   1',
  'HETATM    7 CL   CL  B   2      10.000 -20.000  30.000  1.00  0.00              ',
  'HETATM    8 CA   CA  B   3       5.000   5.000   5.000  1.00  0.00              ',
  'HETATM    9  O   HOH B   4       1.000   2.000   3.000  1.00  0.00              ',
  'HETATM   10  C1  LIGAB   5       0.000   0.000   0.000  1.00  0.00              ',
  'CONECT    1    2',
  'END',
  'this text after END is not read',
].join('\n')

test('reads ATOM/HETATM fixed columns, CRYST1, altLocs and element columns or guesses', t => {
  const pdb = readPdb(SMALL_PDB)
  const top = pdb.topology
  t.is(top.atomCount, 8)
  t.deepEqual(top.atomNames, ['N', 'CA', '1HB', 'CB', 'CL', 'CA', 'O', 'C1'])
  t.deepEqual(top.elements, ['N', 'C', 'H', 'C', 'Cl', 'Ca', 'O', 'C'])
  t.deepEqual(top.residueNames, ['ALA', 'ALA', 'ALA', 'ALA', 'CL', 'CA', 'HOH', 'LIGA'])
  t.deepEqual(Array.from(top.residueNumbers), [1, 1, 1, 1, 2, 3, 4, 5])
  t.deepEqual(top.chainIds, ['A', 'A', 'A', 'A', 'B', 'B', 'B', 'B'])
  t.deepEqual(Array.from(top.isHetatm), [0, 0, 0, 0, 1, 1, 1, 1])
  t.is(pdb.models.length, 1)
  const x = pdb.models[0]
  t.deepEqual([x[0], x[1], x[2]], [-0.677 * 0.1, -1.23 * 0.1, -0.491 * 0.1])
  t.deepEqual([x[9], x[10], x[11]], [0.1, 0.1, 0.1]) // altLoc A kept, B dropped
  t.deepEqual([x[12], x[13], x[14]], [1, -2, 3])
  // Rhombic dodecahedron as OpenMM's computePeriodicBoxVectors reduces it.
  const box = Array.from(pdb.box!)
  const expected = [3, 0, 0, 0, 3, 0, -1.5, -1.5, 3 * Math.SQRT1_2]
  for (let i = 0; i < 9; i++) t.true(Math.abs(box[i] - expected[i]) < 1e-12, `box[${i}] = ${box[i]}`)
})

test('reads several models and the 1 Å placeholder cell as no box', t => {
  const atom = (serial: number, x: number): string => `ATOM  ${String(serial).padStart(5)}  C   MOL A   1    ${x.toFixed(3).padStart(8)}   0.000   0.000  1.00  0.00           C  `
  const text = ['CRYST1    1.000    1.000    1.000  90.00  90.00  90.00 P 1           1 ',
    'MODEL        1', atom(1, 1), atom(2, 2), 'ENDMDL', 'MODEL        2', atom(1, 3), atom(2, 4), 'ENDMDL', 'END'].join('\r\n')
  const pdb = readPdb(text)
  t.is(pdb.box, null)
  t.is(pdb.models.length, 2)
  t.deepEqual(Array.from(pdb.models[1]), [0.30000000000000004, 0, 0, 0.4, 0, 0])
  t.is(pdb.topology.atomCount, 2)
})

test('bad PDB input gives PdbParseError with the line number', t => {
  const atom = (x: string): string => `ATOM      1  C   MOL A   1    ${x.padStart(8)}   0.000   0.000  1.00  0.00           C  `
  const cases: Array<[string, string, number | undefined]> = [
    ['garbage line', ['REMARK fine', atom('1.0'), '\u0000\u0001binary garbage'].join('\n'), 3],
    ['XML given as PDB', '<?xml version="1.0" ?>\n<System/>', 1],
    ['text coordinate', ['REMARK', atom('abc')].join('\n'), 2],
    ['short ATOM line', 'ATOM      1  C   MOL A   1       1.000   2.000', 1],
    ['models disagree', ['MODEL 1', atom('1'), atom('2'), 'ENDMDL', 'MODEL 2', atom('1'), 'ENDMDL'].join('\n'), 7],
    ['nested MODEL', ['MODEL 1', atom('1'), 'MODEL 2'].join('\n'), 3],
    ['bad CRYST1', 'CRYST1   30.000   abc    30.000  90.00  90.00  90.00 P 1           1 \n' + atom('1'), 1],
    ['no atoms', 'REMARK nothing here\nEND\n', undefined],
    ['empty', '', undefined],
  ]
  for (const [label, text, line] of cases) {
    const error = t.throws(() => readPdb(text), undefined, label)
    t.is(error?.name, 'PdbParseError', `${label}: ${error?.message}`)
    t.is((error as { line?: number }).line, line, label)
  }
  t.is(t.throws(() => readPdb(atom('nan')))?.name, 'InvalidCoordinatesError')
  t.is(t.throws(() => readPdb(SMALL_PDB, { maxPdbBytes: 100 }))?.name, 'PdbParseError')
  t.is(t.throws(() => readPdb(SMALL_PDB, { maxAtoms: 7 }))?.name, 'PdbParseError')
  t.is(t.throws(() => readPdb('CRYST1   30.000   30.000   30.000  90.00  90.00   0.00 P 1           1 \n' + atom('1')))?.name, 'InvalidBoxError')
})

function maxAbsDiff (a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

function sameTopology (t: import('ava').ExecutionContext, a: Topology, b: Topology): void {
  t.is(a.atomCount, b.atomCount)
  t.deepEqual(a.atomNames, b.atomNames)
  t.deepEqual(a.elements, b.elements)
  t.deepEqual(a.residueNames, b.residueNames)
  t.deepEqual(Array.from(a.residueNumbers), Array.from(b.residueNumbers))
  t.deepEqual(a.chainIds, b.chainIds)
  t.deepEqual(Array.from(a.isHetatm), Array.from(b.isHetatm))
}

/** A structure to write: the villin or alanine-dipeptide fixture, else the small inline PDB. */
function sampleStructure (): PdbStructure {
  for (const file of [path.join(fixturesRoot, 'villin-rf-cubic', 'structure.pdb'), path.join(sharedData, 'alanine-dipeptide-explicit.pdb')]) {
    if (fs.existsSync(file)) return readPdb(fs.readFileSync(file, 'utf8'))
  }
  return readPdb(SMALL_PDB)
}

/** Two frames: the structure, and the structure shifted and in a triclinic box. */
function twoFrames (structure: PdbStructure): Array<{ positionsNm: Float64Array, box: Float64Array | null }> {
  const shifted = structure.models[0].map((x, i) => x + [0.123456, -0.987654, 0.5][i % 3])
  const box = structure.box ?? Float64Array.of(3, 0, 0, 0, 3, 0, 0, 0, 3)
  return [{ positionsNm: structure.models[0], box }, { positionsNm: shifted, box }]
}

test('write → read gives back the same topology, positions (to 5e-5 nm) and box', t => {
  const structure = sampleStructure()
  const single = readPdb(writePdb(structure.topology, [{ positionsNm: structure.models[0], box: structure.box }]))
  sameTopology(t, single.topology, structure.topology)
  t.is(single.models.length, 1)
  t.true(maxAbsDiff(single.models[0], structure.models[0]) <= 5.0001e-5)
  if (structure.box !== null) t.true(maxAbsDiff(single.box!, structure.box) < 1e-5)

  const frames = twoFrames(structure)
  const text = writePdb(structure.topology, frames)
  t.is(text.split('\n').filter(line => line.startsWith('MODEL ')).length, 2)
  const multi = readPdb(text)
  sameTopology(t, multi.topology, structure.topology)
  t.is(multi.models.length, 2)
  for (let f = 0; f < 2; f++) t.true(maxAbsDiff(multi.models[f], frames[f].positionsNm) <= 5.0001e-5)
  for (const line of text.split('\n')) if (/^(ATOM|HETATM)/.test(line)) t.is(line.length, 80)
})

test('write refuses NaN positions and a frame of the wrong size', t => {
  const top = genericTopology(2)
  t.is(t.throws(() => writePdb(top, [{ positionsNm: [0, 0, 0, NaN, 0, 0], box: null }]))?.name, 'InvalidCoordinatesError')
  t.is(t.throws(() => writePdb(top, [{ positionsNm: [0, 0, 0], box: null }]))?.name, 'ParticleCountMismatchError')
  t.is(t.throws(() => writePdb(top, [{ positionsNm: [0, 0, 0, 1e9, 0, 0], box: null }]))?.name, 'InvalidCoordinatesError')
})

test('fixture PDBs read with the right atom counts and boxes', t => {
  const dirs = fixtureDirs().filter(dir => fs.existsSync(path.join(dir, 'structure.pdb')))
  if (dirs.length === 0) return t.pass('no fixtures built yet')
  for (const dir of dirs) {
    const pdb = readPdb(fs.readFileSync(path.join(dir, 'structure.pdb'), 'utf8'))
    const reference = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { particleCount: number, boxVectorsNm?: number[][] }
    t.is(pdb.topology.atomCount, reference.particleCount, dir)
    t.false(pdb.topology.elements.includes(''), dir)
    // OpenMM's and our CRYST1 -> vectors conversion may differ in the last bit (cos/sin rounding)
    if (reference.boxVectorsNm !== undefined) {
      const expected = reference.boxVectorsNm.flat()
      for (let i = 0; i < 9; i++) t.true(Math.abs(pdb.box![i] - expected[i]) <= 1e-12, `${dir}: box component ${i}`)
    }
  }
})

const OPENMM_READ_SCRIPT = `
import json, sys, openmm.app as app
files = json.load(sys.stdin)
out = []
for f in files:
    pdb = app.PDBFile(f)
    box = pdb.topology.getPeriodicBoxVectors()
    out.append({
        'atoms': pdb.topology.getNumAtoms(),
        'names': [a.name for a in pdb.topology.atoms()],
        'elements': [a.element.symbol if a.element is not None else '' for a in pdb.topology.atoms()],
        'residues': [a.residue.name for a in pdb.topology.atoms()],
        'models': [[x for p in pdb.getPositions(frame=i)._value for x in p] for i in range(pdb.getNumFrames())],
        'box': None if box is None else [x for v in box._value for x in v],
    })
print(json.dumps(out))
`

test('OpenMM PDBFile reads what we write with the same coordinates', t => {
  if (!pythonHas('openmm')) return t.pass('skipped: /usr/bin/python3 cannot import openmm')
  const structure = sampleStructure()
  const frames = twoFrames(structure)
  const multiFile = path.join(tmp, 'multi.pdb')
  fs.writeFileSync(multiFile, writePdb(structure.topology, frames))
  // A generic topology past 9,999 residues exercises OpenMM's hexadecimal residue numbers.
  const generic = genericTopology(10_050)
  const genericPositions = new Float64Array(3 * generic.atomCount).map((_, i) => (i % 997) * 0.01 - 3)
  const genericFile = path.join(tmp, 'generic.pdb')
  fs.writeFileSync(genericFile, writePdb(generic, [{ positionsNm: genericPositions, box: null }]))

  const [multi, gen] = runPython<Array<{ atoms: number, names: string[], elements: string[], residues: string[], models: number[][], box: number[] | null }>>(OPENMM_READ_SCRIPT, [multiFile, genericFile])
  const ours = readPdb(fs.readFileSync(multiFile, 'utf8'))
  t.is(multi.atoms, structure.topology.atomCount)
  t.deepEqual(multi.names, structure.topology.atomNames)
  t.deepEqual(multi.elements, structure.topology.elements)
  t.is(multi.models.length, 2)
  for (let f = 0; f < 2; f++) {
    t.deepEqual(multi.models[f], Array.from(ours.models[f]), `model ${f}: OpenMM and readPdb read identical numbers`)
    t.true(maxAbsDiff(multi.models[f], frames[f].positionsNm) <= 5.0001e-5)
  }
  t.true(maxAbsDiff(multi.box!, ours.box!) < 1e-12)

  t.is(gen.atoms, generic.atomCount)
  t.is(gen.models.length, 1)
  t.true(maxAbsDiff(gen.models[0], genericPositions) <= 5.0001e-5)
  t.is(gen.box, null)
  const reread = readPdb(fs.readFileSync(genericFile, 'utf8'))
  t.is(reread.topology.atomCount, generic.atomCount)
  t.is(new Set(reread.topology.residueNumbers).size, generic.atomCount, 'one residue per atom survives the hexadecimal switch')
})

test('mdtraj reads what we write (frames, coordinates, unit cell)', t => {
  if (!pythonHas('mdtraj')) return t.pass('skipped: /usr/bin/python3 cannot import mdtraj')
  const structure = sampleStructure()
  const frames = twoFrames(structure)
  const file = path.join(tmp, 'mdtraj.pdb')
  fs.writeFileSync(file, writePdb(structure.topology, frames))
  const out = runPython<{ frames: number, atoms: number, xyz: number[][], vectors: number[] | null }>(`
import json, sys, mdtraj
tr = mdtraj.load_pdb(json.load(sys.stdin))
print(json.dumps({'frames': tr.n_frames, 'atoms': tr.n_atoms, 'xyz': [f.ravel().tolist() for f in tr.xyz],
  'vectors': None if tr.unitcell_vectors is None else tr.unitcell_vectors[0].ravel().tolist()}))
`, file)
  t.is(out.frames, 2)
  t.is(out.atoms, structure.topology.atomCount)
  for (let f = 0; f < 2; f++) t.true(maxAbsDiff(out.xyz[f], frames[f].positionsNm) < 1e-4) // float32
  t.true(maxAbsDiff(out.vectors!, frames[0].box!) < 1e-4)
})
