import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { parseIntegratorXml, parseStateXml, readPdb } from '../../src/engine/index.ts'
import { fixtureDirs, pythonHas, replaceOnce, runPython } from './io-helpers.ts'

const VERLET = '<?xml version="1.0" ?>\n<Integrator constraintTolerance="1e-05" stepSize=".001" type="VerletIntegrator" version="1"/>\n'
const LANGEVIN = '<?xml version="1.0" ?>\n<Integrator constraintTolerance="1e-06" friction="1" randomSeed="42" stepSize=".002" temperature="300" type="LangevinIntegrator" version="1"/>\n'
const LANGEVIN_MIDDLE_OPENMM8 = '<?xml version="1.0" ?>\n<Integrator constraintTolerance="1e-05" friction=".5" integrationForceGroups="-1" randomSeed="0" stepSize=".004" temperature="310.5" type="LangevinMiddleIntegrator" version="1"/>\n'

test('reads Verlet, Langevin and LangevinMiddle integrators', t => {
  t.deepEqual(parseIntegratorXml(VERLET), { type: 'VerletIntegrator', stepSizePs: 0.001, constraintTolerance: 1e-5 })
  t.deepEqual(parseIntegratorXml(LANGEVIN), { type: 'LangevinIntegrator', stepSizePs: 0.002, constraintTolerance: 1e-6, temperatureK: 300, frictionPerPs: 1, randomSeed: 42 })
  t.deepEqual(parseIntegratorXml(LANGEVIN_MIDDLE_OPENMM8), { type: 'LangevinMiddleIntegrator', stepSizePs: 0.004, constraintTolerance: 1e-5, temperatureK: 310.5, frictionPerPs: 0.5, randomSeed: 0 })
})

test('unknown integrators are UnsupportedIntegratorError', t => {
  for (const type of ['BrownianIntegrator', 'NoseHooverIntegrator', 'CustomIntegrator', 'VariableVerletIntegrator']) {
    const error = t.throws(() => parseIntegratorXml(VERLET.replace('VerletIntegrator', type)))
    t.is(error?.name, 'UnsupportedIntegratorError')
    t.is((error as { integratorType?: string }).integratorType, type)
  }
})

test('bad integrator values are InvalidIntegratorError', t => {
  const cases: Array<[string, string, string, string]> = [
    ['zero step', VERLET, 'stepSize=".001"', 'stepSize="0"'],
    ['negative step', VERLET, 'stepSize=".001"', 'stepSize="-.001"'],
    ['NaN step', LANGEVIN, 'stepSize=".002"', 'stepSize="NaN"'],
    ['missing step', LANGEVIN, 'stepSize=".002" ', ''],
    ['negative friction', LANGEVIN, 'friction="1"', 'friction="-1"'],
    ['negative temperature', LANGEVIN_MIDDLE_OPENMM8, 'temperature="310.5"', 'temperature="-5"'],
    ['missing temperature', LANGEVIN, 'temperature="300" ', ''],
    ['zero tolerance', VERLET, 'constraintTolerance="1e-05"', 'constraintTolerance="0"'],
    ['fractional seed', LANGEVIN, 'randomSeed="42"', 'randomSeed="4.2"'],
    ['some force groups only', LANGEVIN_MIDDLE_OPENMM8, 'integrationForceGroups="-1"', 'integrationForceGroups="3"'],
    ['missing type', VERLET, 'type="VerletIntegrator" ', ''],
    ['wrong root', VERLET, '<Integrator', '<System'],
  ]
  for (const [label, xml, search, replacement] of cases) {
    const error = t.throws(() => parseIntegratorXml(replaceOnce(xml, search, replacement)), undefined, label)
    t.is(error?.name, 'InvalidIntegratorError', `${label}: ${error?.message}`)
  }
})

const STATE_XML = `<?xml version="1.0" ?>
<State openmmVersion="8.1.1" stepCount="1500" time="3.0000000000000004" type="State" version="1">
	<PeriodicBoxVectors>
		<A x="2" y="0" z="0"/>
		<B x="0" y="2.5" z="0"/>
		<C x="0" y="0" z="3"/>
	</PeriodicBoxVectors>
	<Energies KineticEnergy="12.5" PotentialEnergy="-40"/>
	<Positions>
		<Position x="1.5908" y="1.1969" z="1.6089"/>
		<Position x="-1.5377" y="1e-3" z="15.886"/>
	</Positions>
	<Velocities>
		<Velocity x=".1" y="-.2" z="3"/>
		<Velocity x="0" y="0" z="-1.25"/>
	</Velocities>
</State>
`

test('reads State XML: time, step, box, positions, velocities', t => {
  const state = parseStateXml(STATE_XML)
  t.is(state.particleCount, 2)
  t.is(state.step, 1500)
  t.is(state.timePs, 3.0000000000000004)
  t.deepEqual(Array.from(state.box!), [2, 0, 0, 0, 2.5, 0, 0, 0, 3])
  t.deepEqual(Array.from(state.positionsNm), [1.5908, 1.1969, 1.6089, -1.5377, 0.001, 15.886])
  t.deepEqual(Array.from(state.velocitiesNmPerPs!), [0.1, -0.2, 3, 0, 0, -1.25])
})

test('State XML without velocities or stepCount (OpenMM before 7.7)', t => {
  const xml = STATE_XML.replace(/<Velocities>[\s\S]*<\/Velocities>/, '').replace('stepCount="1500" ', '')
  const state = parseStateXml(xml)
  t.is(state.velocitiesNmPerPs, null)
  t.is(state.step, 0)
})

test('bad State XML gives typed errors', t => {
  const cases: Array<[string, string | RegExp, string, string]> = [
    ['NaN position', 'x="1.5908"', 'x="nan"', 'InvalidCoordinatesError'],
    ['infinite velocity', 'z="-1.25"', 'z="-inf"', 'InvalidCoordinatesError'],
    ['missing coordinate', 'y="1e-3" ', '', 'InvalidCoordinatesError'],
    ['no positions', /<Positions>[\s\S]*<\/Positions>/, '', 'InvalidCoordinatesError'],
    ['velocity count', '<Velocity x="0" y="0" z="-1.25"/>', '', 'ParticleCountMismatchError'],
    ['degenerate box', '<B x="0" y="2.5" z="0"/>', '<B x="0" y="0" z="0"/>', 'InvalidBoxError'],
    ['box not triangular', '<A x="2" y="0" z="0"/>', '<A x="2" y="1" z="0"/>', 'InvalidBoxError'],
    ['negative step count', 'stepCount="1500"', 'stepCount="-1"', 'InvalidCoordinatesError'],
    ['wrong root', /<State /, '<Stat ', 'XmlParseError'],
  ]
  for (const [label, search, replacement, name] of cases) {
    const error = t.throws(() => parseStateXml(replaceOnce(STATE_XML, search, replacement)), undefined, label)
    t.is(error?.name, name, `${label}: ${error?.message}`)
  }
  t.is(t.throws(() => parseStateXml(VERLET))?.name, 'InvalidCoordinatesError')
  t.is(t.throws(() => parseStateXml(STATE_XML, { maxAtoms: 1 }))?.name, 'InvalidCoordinatesError')
})

for (const dir of fixtureDirs()) {
  const name = path.basename(dir)
  for (const file of fs.readdirSync(dir).filter(f => f.endsWith('.xml') && f !== 'system.xml' && f !== 'state.xml')) {
    test(`fixture ${name}: ${file} is a supported integrator`, t => {
      const spec = parseIntegratorXml(fs.readFileSync(path.join(dir, file), 'utf8'))
      t.true(spec.stepSizePs > 0)
      if (spec.type !== 'VerletIntegrator') t.is(spec.randomSeed, 1234)
    })
  }
  const statePath = path.join(dir, 'state.xml')
  const pdbPath = path.join(dir, 'structure.pdb')
  if (fs.existsSync(statePath)) {
    test(`fixture ${name}: state.xml agrees with structure.pdb`, t => {
      const state = parseStateXml(fs.readFileSync(statePath, 'utf8'))
      t.true(state.positionsNm.every(Number.isFinite))
      if (!fs.existsSync(pdbPath)) return
      const pdb = readPdb(fs.readFileSync(pdbPath, 'utf8'))
      t.is(state.particleCount, pdb.topology.atomCount)
      const reference = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { positionsMatchPdb?: boolean }
      if (reference.positionsMatchPdb !== false) {
        // The PDB holds 3 decimals in Å: 5e-5 nm.
        let maxDiff = 0
        for (let i = 0; i < state.positionsNm.length; i++) maxDiff = Math.max(maxDiff, Math.abs(state.positionsNm[i] - pdb.models[0][i]))
        t.true(maxDiff <= 5.0001e-5, `max |state - pdb| = ${maxDiff} nm`)
      }
      // OpenMM's and our CRYST1 -> vectors conversion may differ in the last bit (cos/sin rounding)
      if (pdb.box !== null) for (let i = 0; i < 9; i++) t.true(Math.abs(state.box![i] - pdb.box[i]) <= 1e-12, `box component ${i}`)
    })
  }
}

test('OpenMM-serialized integrators and state read back with the same values', t => {
  if (!pythonHas('openmm')) return t.pass('skipped: /usr/bin/python3 cannot import openmm')
  const out = runPython<{ verlet: string, langevin: string, middle: string, state: string, positions: number[], velocities: number[], box: number[], time: number }>(`
import json, openmm as mm, openmm.unit as u
v = mm.VerletIntegrator(0.0015); v.setConstraintTolerance(2e-6)
l = mm.LangevinIntegrator(298.15, 2.5, 0.002); l.setRandomNumberSeed(-7)
m = mm.LangevinMiddleIntegrator(350, 0.1, 0.004); m.setRandomNumberSeed(2**31 - 1)
s = mm.System(); [s.addParticle(1.0) for i in range(3)]
s.setDefaultPeriodicBoxVectors(mm.Vec3(2.2,0,0), mm.Vec3(0.5,2.1,0), mm.Vec3(-0.7,0.9,2.0))
c = mm.Context(s, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName('Reference'))
c.setPositions([mm.Vec3(0.1,0.2,0.3), mm.Vec3(-1/3,2/7,1e-9), mm.Vec3(123.456,0,-9.87654321)])
c.setVelocities([mm.Vec3(1,2,3), mm.Vec3(-0.5,0.25,1/9), mm.Vec3(0,0,0)])
c.setTime(1.2345)
st = c.getState(getPositions=True, getVelocities=True, getEnergy=True, getForces=True)
print(json.dumps({'verlet': mm.XmlSerializer.serialize(v), 'langevin': mm.XmlSerializer.serialize(l), 'middle': mm.XmlSerializer.serialize(m),
  'state': mm.XmlSerializer.serialize(st), 'time': st.getTime()._value,
  'positions': [x for p in st.getPositions()._value for x in p], 'velocities': [x for p in st.getVelocities()._value for x in p],
  'box': [x for p in st.getPeriodicBoxVectors()._value for x in p]}))
`)
  t.deepEqual(parseIntegratorXml(out.verlet), { type: 'VerletIntegrator', stepSizePs: 0.0015, constraintTolerance: 2e-6 })
  t.like(parseIntegratorXml(out.langevin), { type: 'LangevinIntegrator', temperatureK: 298.15, frictionPerPs: 2.5, stepSizePs: 0.002, randomSeed: -7 })
  t.like(parseIntegratorXml(out.middle), { type: 'LangevinMiddleIntegrator', temperatureK: 350, frictionPerPs: 0.1, stepSizePs: 0.004, randomSeed: 2 ** 31 - 1 })
  const state = parseStateXml(out.state)
  t.deepEqual(Array.from(state.positionsNm), out.positions)
  t.deepEqual(Array.from(state.velocitiesNmPerPs!), out.velocities)
  t.deepEqual(Array.from(state.box!), out.box)
  t.is(state.timePs, out.time)
})
