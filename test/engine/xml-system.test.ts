import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { firstUnsupportedFeature, parseSystemXml, readSystemForceTypes, usesPeriodicBoundaryConditions } from '../../src/engine/index.ts'
import type { NonbondedForce, System } from '../../src/engine/index.ts'
import { fixtureDirs, pythonHas, readIfExists, replaceOnce, runPython } from './io-helpers.ts'

/** A small System in OpenMM 8 layout (NonbondedForce version 4) with every supported force. */
const SYSTEM_XML = `<?xml version="1.0" ?>
<System openmmVersion="8.1.1" type="System" version="1">
	<PeriodicBoxVectors>
		<A x="3" y="0" z="0"/>
		<B x="0" y="3" z="0"/>
		<C x="0" y="0" z="3"/>
	</PeriodicBoxVectors>
	<Particles>
		<Particle mass="12.01"/>
		<Particle mass="1.008"/>
		<Particle mass="15.999"/>
		<Particle mass="0"/>
	</Particles>
	<Constraints>
		<Constraint d=".109" p1="0" p2="1"/>
	</Constraints>
	<Forces>
		<Force forceGroup="1" name="HarmonicBondForce" type="HarmonicBondForce" usesPeriodic="0" version="2">
			<Bonds>
				<Bond d=".1522" k="265265.6" p1="0" p2="2"/>
			</Bonds>
		</Force>
		<Force forceGroup="2" name="HarmonicAngleForce" type="HarmonicAngleForce" usesPeriodic="1" version="2">
			<Angles>
				<Angle a="1.911135530933791" k="292.88" p1="1" p2="0" p3="2"/>
			</Angles>
		</Force>
		<Force forceGroup="3" name="PeriodicTorsionForce" type="PeriodicTorsionForce" usesPeriodic="0" version="2">
			<Torsions>
				<Torsion k="3.3472" p1="1" p2="0" p3="2" p4="3" periodicity="3" phase="3.141592653589793"/>
			</Torsions>
		</Force>
		<Force forceGroup="4" name="RBTorsionForce" type="RBTorsionForce" usesPeriodic="0" version="2">
			<Torsions>
				<Torsion c0="1" c1="-2" c2="3" c3="-4" c4="5" c5="-6" p1="1" p2="0" p3="2" p4="3"/>
			</Torsions>
		</Force>
		<Force alpha="0" cutoff="1.2" dispersionCorrection="0" ewaldTolerance=".0005" exceptionsUsePeriodic="0" forceGroup="5" includeDirectSpace="1" ljAlpha="0" ljnx="0" ljny="0" ljnz="0" method="2" name="NonbondedForce" nx="0" ny="0" nz="0" recipForceGroup="-1" rfDielectric="80" switchingDistance="1" type="NonbondedForce" useSwitchingFunction="1" version="4">
			<GlobalParameters/>
			<ParticleOffsets/>
			<ExceptionOffsets/>
			<Particles>
				<Particle eps=".4577296" q="-.3662" sig=".3399669508423535"/>
				<Particle eps=".0656888" q=".1123" sig=".2649532787749369"/>
				<Particle eps=".87864" q="-.5679" sig=".2959921901149463"/>
				<Particle eps="0" q="0" sig="1"/>
			</Particles>
			<Exceptions>
				<Exception eps="0" p1="0" p2="1" q="0" sig="1"/>
				<Exception eps=".2" p1="1" p2="3" q="-.05" sig=".3"/>
			</Exceptions>
		</Force>
		<Force forceGroup="6" frequency="10" name="CMMotionRemover" type="CMMotionRemover" version="1"/>
	</Forces>
</System>
`

test('reads every supported force of an OpenMM 8 System XML into typed arrays', t => {
  const system = parseSystemXml(SYSTEM_XML)
  t.is(system.particleCount, 4)
  t.deepEqual(Array.from(system.masses), [12.01, 1.008, 15.999, 0])
  t.deepEqual(Array.from(system.constraints.p1), [0])
  t.deepEqual(Array.from(system.constraints.distanceNm), [0.109])
  t.deepEqual(system.forceTypes, ['HarmonicBondForce', 'HarmonicAngleForce', 'PeriodicTorsionForce', 'RBTorsionForce', 'NonbondedForce', 'CMMotionRemover'])
  t.deepEqual(Array.from(system.defaultBox!), [3, 0, 0, 0, 3, 0, 0, 0, 3])
  t.true(usesPeriodicBoundaryConditions(system))
  const [bond, angle, torsion, rb, nonbonded, cmm] = system.forces
  t.true(bond.type === 'HarmonicBondForce' && bond.forceGroup === 1 && !bond.usesPeriodicBoundaryConditions)
  if (bond.type !== 'HarmonicBondForce') return
  t.deepEqual([bond.p1[0], bond.p2[0], bond.lengthNm[0], bond.k[0]], [0, 2, 0.1522, 265265.6])
  t.true(bond.p1 instanceof Int32Array && bond.k instanceof Float64Array)
  if (angle.type !== 'HarmonicAngleForce') return t.fail()
  t.true(angle.usesPeriodicBoundaryConditions)
  t.deepEqual([angle.p1[0], angle.p2[0], angle.p3[0], angle.angleRad[0], angle.k[0], angle.forceGroup], [1, 0, 2, 1.911135530933791, 292.88, 2])
  if (torsion.type !== 'PeriodicTorsionForce') return t.fail()
  t.deepEqual([torsion.p4[0], torsion.periodicity[0], torsion.phaseRad[0], torsion.k[0]], [3, 3, Math.PI, 3.3472])
  if (rb.type !== 'RBTorsionForce') return t.fail()
  t.deepEqual(Array.from(rb.c), [1, -2, 3, -4, 5, -6])
  if (nonbonded.type !== 'NonbondedForce') return t.fail()
  t.like(nonbonded, { method: 'CutoffPeriodic', cutoffNm: 1.2, useSwitchingFunction: true, switchingDistanceNm: 1, useDispersionCorrection: false, reactionFieldDielectric: 80, ewaldErrorTolerance: 0.0005, reciprocalSpaceForceGroup: -1, forceGroup: 5 })
  t.deepEqual(Array.from(nonbonded.charge), [-0.3662, 0.1123, -0.5679, 0])
  t.deepEqual(Array.from(nonbonded.exceptionP2), [1, 3])
  t.deepEqual(Array.from(nonbonded.exceptionChargeProd), [0, -0.05])
  t.deepEqual(Array.from(nonbonded.exceptionSigmaNm), [1, 0.3])
  t.deepEqual(Array.from(nonbonded.exceptionEpsilon), [0, 0.2])
  t.like(cmm, { type: 'CMMotionRemover', frequency: 10, forceGroup: 6 })
})

test('reads the older OpenMM 7 NonbondedForce layout (version 1, no switching attributes) with OpenMM defaults', t => {
  const xml = SYSTEM_XML.replace(/<Force alpha="0"[^>]*>/, '<Force cutoff="1" dispersionCorrection="1" ewaldTolerance=".0005" method="0" rfDielectric="78.3" type="NonbondedForce" version="1">')
    .replace(/<GlobalParameters\/>\s*<ParticleOffsets\/>\s*<ExceptionOffsets\/>/, '')
  const nonbonded = parseSystemXml(xml).forces[4] as NonbondedForce
  t.like(nonbonded, { method: 'NoCutoff', useSwitchingFunction: false, switchingDistanceNm: -1, useDispersionCorrection: true, reciprocalSpaceForceGroup: -1, forceGroup: 0 })
})

test('the five predefined entities are decoded in attribute values', t => {
  const xml = SYSTEM_XML.replace('name="CMMotionRemover"', 'name="CM &lt;remover&gt; &amp; &quot;x&quot; &apos;y&apos; &#65;"')
  t.is(parseSystemXml(xml).particleCount, 4)
})

test('a non-periodic System keeps its default box but does not need it', t => {
  const xml = SYSTEM_XML.replace('method="2"', 'method="0"').replace('usesPeriodic="1"', 'usesPeriodic="0"')
  const system = parseSystemXml(xml)
  t.false(usesPeriodicBoundaryConditions(system))
  t.deepEqual(Array.from(system.defaultBox!), [3, 0, 0, 0, 3, 0, 0, 0, 3])
  const degenerate = replaceOnce(xml, '<A x="3" y="0" z="0"/>', '<A x="0" y="0" z="0"/>')
  t.is(parseSystemXml(degenerate).defaultBox, null)
})

test('a non-reduced default box is reduced as OpenMM does', t => {
  const xml = replaceOnce(SYSTEM_XML, '<C x="0" y="0" z="3"/>', '<C x="2.5" y="4" z="3"/>')
  // c - b*round(4/3) = (2.5, 1, 3); then - a*round(2.5/3) = (-0.5, 1, 3)
  t.deepEqual(Array.from(parseSystemXml(xml).defaultBox!), [3, 0, 0, 0, 3, 0, -0.5, 1, 3])
})

for (const [code, method] of [['3', 'Ewald'], ['4', 'PME'], ['5', 'LJPME']] as const) {
  test(`NonbondedForce method ${code} (${method}) is either read or refused as 'NonbondedForce (${method})', consistently`, t => {
    const xml = SYSTEM_XML.replace('method="2"', `method="${code}"`)
    t.deepEqual(readSystemForceTypes(xml), parseSystemXml(SYSTEM_XML).forceTypes)
    const refusal = firstUnsupportedFeature(xml)
    if (refusal === null) {
      t.is((parseSystemXml(xml).forces[4] as NonbondedForce).method, method)
      return
    }
    t.is(refusal, `NonbondedForce (${method})`)
    const error = t.throws(() => parseSystemXml(xml))
    t.is(error?.name, 'UnsupportedForceError')
    t.is((error as { forceType?: string }).forceType, refusal)
  })
}

test('NonbondedForce features the builtin engine lacks are refused by name', t => {
  const cases: Array<[string, string]> = [
    [SYSTEM_XML.replace('exceptionsUsePeriodic="0"', 'exceptionsUsePeriodic="1"'), 'NonbondedForce (exceptionsUsePeriodic=1)'],
    [SYSTEM_XML.replace('includeDirectSpace="1"', 'includeDirectSpace="0"'), 'NonbondedForce (includeDirectSpace=0)'],
    [SYSTEM_XML.replace('<GlobalParameters/>', '<GlobalParameters><Parameter default="0" name="lambda"/></GlobalParameters>'), 'NonbondedForce (GlobalParameters)'],
  ]
  for (const [xml, name] of cases) {
    const error = t.throws(() => parseSystemXml(xml))
    t.is(error?.name, 'UnsupportedForceError')
    t.is((error as { forceType?: string }).forceType, name)
  }
})

test('virtual sites are refused', t => {
  const xml = SYSTEM_XML.replace('<Particle mass="0"/>', '<Particle mass="0"><TwoParticleAverageSite p1="0" p2="2" w1=".5" w2=".5"/></Particle>')
  const error = t.throws(() => parseSystemXml(xml))
  t.is(error?.name, 'UnsupportedForceError')
  t.is((error as { forceType?: string }).forceType, 'virtual sites (TwoParticleAverageSite)')
})

test('invalid items are InvalidSystemError', t => {
  const cases: Array<[string, string | RegExp, string]> = [
    ['bond index out of range', 'p1="0" p2="2"/>\n\t\t\t</Bonds>', 'p1="0" p2="4"/>\n\t\t\t</Bonds>'],
    ['negative index', 'p1="1" p2="0" p3="2"', 'p1="-1" p2="0" p3="2"'],
    ['fractional index', 'p1="1" p2="0" p3="2"', 'p1="1.5" p2="0" p3="2"'],
    ['missing attribute', 'k="292.88" ', ''],
    ['NaN parameter', 'k="3.3472"', 'k="nan"'],
    ['infinite parameter', 'c3="-4"', 'c3="Infinity"'],
    ['empty parameter', 'd=".1522"', 'd=""'],
    ['negative mass', '<Particle mass="1.008"/>', '<Particle mass="-1.008"/>'],
    ['zero constraint distance', 'd=".109"', 'd="0"'],
    ['constraint on one particle', 'p1="0" p2="1"/>\n\t</Constraints>', 'p1="1" p2="1"/>\n\t</Constraints>'],
    ['force group out of range', 'forceGroup="1"', 'forceGroup="32"'],
    ['nonbonded particle count', '<Particle eps="0" q="0" sig="1"/>', ''],
    ['duplicate exception', 'p1="1" p2="3" q="-.05"', 'p1="1" p2="0" q="-.05"'],
    ['self exception', 'p1="1" p2="3" q="-.05"', 'p1="3" p2="3" q="-.05"'],
    ['switching distance beyond cutoff', 'switchingDistance="1"', 'switchingDistance="1.3"'],
    ['unknown nonbonded method', 'method="2"', 'method="9"'],
    ['zero CMMotionRemover frequency', 'frequency="10"', 'frequency="0"'],
    ['unexpected element', '<Bond d=', '<Bnd d='],
    ['force without type', 'name="RBTorsionForce" type="RBTorsionForce"', 'name="RBTorsionForce"'],
    ['no particles', /<Particles>[\s\S]*?<\/Particles>/, '<Particles/>'],
  ]
  for (const [label, search, replacement] of cases) {
    const error = t.throws(() => parseSystemXml(replaceOnce(SYSTEM_XML, search, replacement)), undefined, label)
    t.is(error?.name, 'InvalidSystemError', `${label}: ${error?.message}`)
  }
})

test('a System whose periodic box is degenerate is InvalidBoxError', t => {
  const error = t.throws(() => parseSystemXml(replaceOnce(SYSTEM_XML, '<B x="0" y="3" z="0"/>', '<B x="0" y="3" z="1"/>')))
  t.is(error?.name, 'InvalidBoxError')
})

test('other documents in place of System XML are refused', t => {
  t.is(t.throws(() => parseSystemXml('<Integrator type="VerletIntegrator" stepSize=".001" version="1"/>'))?.name, 'InvalidSystemError')
  t.is(t.throws(() => parseSystemXml(SYSTEM_XML.replace('type="System" version="1"', 'type="System" version="2"')))?.name, 'InvalidSystemError')
})

test('the particle count limit applies', t => {
  t.is(t.throws(() => parseSystemXml(SYSTEM_XML, { maxAtoms: 3 }))?.name, 'InvalidSystemError')
  t.is(parseSystemXml(SYSTEM_XML, { maxAtoms: 4 }).particleCount, 4)
})

for (const dir of fixtureDirs()) {
  const name = path.basename(dir)
  test(`fixture ${name}: System XML reads as OpenMM wrote it`, t => {
    const xml = fs.readFileSync(path.join(dir, 'system.xml'), 'utf8')
    const reference = JSON.parse(readIfExists(path.join(dir, 'reference.json')) ?? '{}') as { particleCount?: number, forceGroups?: Record<string, number>, boxVectorsNm?: number[][] }
    const types = readSystemForceTypes(xml)
    const refusal = firstUnsupportedFeature(xml)
    if (refusal !== null) {
      const error = t.throws(() => parseSystemXml(xml))
      t.is(error?.name, 'UnsupportedForceError')
      t.is((error as { forceType?: string }).forceType, refusal)
      t.true(types.includes(refusal.replace(/ \(.*\)$/, '')))
      return
    }
    const system = parseSystemXml(xml)
    t.deepEqual([...system.forceTypes], types)
    if (reference.particleCount !== undefined) t.is(system.particleCount, reference.particleCount)
    for (const [key, group] of Object.entries(reference.forceGroups ?? {})) {
      const [type, occurrence] = key.split('#')
      const forces = system.forces.filter(force => force.type === type)
      t.is(forces[Number(occurrence ?? 0)]?.forceGroup, group, key)
    }
    if (reference.boxVectorsNm !== undefined && usesPeriodicBoundaryConditions(system)) {
      t.deepEqual(Array.from(system.defaultBox!), reference.boxVectorsNm.flat())
    }
  })
}

const OPENMM_SYSTEM_SCRIPT = `
import json, sys, math
import openmm as mm
sys_ = mm.System()
masses = [12.011, 1.008, 14.007, 15.999, 32.06, 0.0]
for m in masses: sys_.addParticle(m)
sys_.setDefaultPeriodicBoxVectors(mm.Vec3(3.1,0,0), mm.Vec3(0.4,2.9,0), mm.Vec3(-0.3,1.1,2.7))
sys_.addConstraint(0, 1, 0.1090000000001)
b = mm.HarmonicBondForce(); b.addBond(0, 2, 0.1335, 410031.99999999994); b.addBond(3, 4, 0.2, 1e5/3); b.setForceGroup(3); sys_.addForce(b)
a = mm.HarmonicAngleForce(); a.addAngle(0, 2, 3, 2.0943951023931953, 418.4/3); sys_.addForce(a)
p = mm.PeriodicTorsionForce(); p.addTorsion(0, 2, 3, 4, 2, math.pi/7, 10.46); p.addTorsion(1, 0, 2, 3, 1, 0.0, -0.1); sys_.addForce(p)
r = mm.RBTorsionForce(); r.addTorsion(0, 2, 3, 4, 1/3, -2/7, 3.5, -4e-3, 5e3, -6.25); sys_.addForce(r)
n = mm.NonbondedForce(); n.setNonbondedMethod(mm.NonbondedForce.CutoffNonPeriodic); n.setCutoffDistance(1.1); n.setUseSwitchingFunction(True); n.setSwitchingDistance(0.9); n.setReactionFieldDielectric(66.6); n.setUseDispersionCorrection(False); n.setForceGroup(7)
for i in range(6): n.addParticle(0.1*i - 0.25, 0.3 + 0.01*i, 0.5/(i+1))
n.addException(0, 1, 0.0, 1.0, 0.0); n.addException(2, 4, -0.0123, 0.31, 0.77)
sys_.addForce(n)
c = mm.CMMotionRemover(7); sys_.addForce(c)
a_, b_, c_ = sys_.getDefaultPeriodicBoxVectors()
out = {
  'xml': mm.XmlSerializer.serialize(sys_),
  'masses': [sys_.getParticleMass(i)._value for i in range(sys_.getNumParticles())],
  'box': [x for v in (a_, b_, c_) for x in v._value],
  'bonds': [[q._value if hasattr(q, '_value') else q for q in b.getBondParameters(i)] for i in range(b.getNumBonds())],
  'angles': [[q._value if hasattr(q, '_value') else q for q in a.getAngleParameters(i)] for i in range(a.getNumAngles())],
  'torsions': [[q._value if hasattr(q, '_value') else q for q in p.getTorsionParameters(i)] for i in range(p.getNumTorsions())],
  'rb': [[q._value if hasattr(q, '_value') else q for q in r.getTorsionParameters(i)] for i in range(r.getNumTorsions())],
  'particles': [[q._value for q in n.getParticleParameters(i)] for i in range(n.getNumParticles())],
  'exceptions': [[q._value if hasattr(q, '_value') else q for q in n.getExceptionParameters(i)] for i in range(n.getNumExceptions())],
  'cutoff': n.getCutoffDistance()._value, 'switching': n.getSwitchingDistance()._value, 'rf': n.getReactionFieldDielectric(),
}
print(json.dumps(out))
`

test('OpenMM-serialized System: every parameter equals what OpenMM reports', t => {
  if (!pythonHas('openmm')) return t.pass('skipped: /usr/bin/python3 cannot import openmm')
  const expected = runPython<Record<string, any>>(OPENMM_SYSTEM_SCRIPT)
  const system: System = parseSystemXml(expected.xml)
  t.deepEqual(Array.from(system.masses), expected.masses)
  t.deepEqual(Array.from(system.defaultBox!), expected.box) // already reduced by OpenMM's rules
  t.is(system.constraints.distanceNm[0], 0.1090000000001)
  const [bond, angle, torsion, rb, nonbonded, cmm] = system.forces
  if (bond.type !== 'HarmonicBondForce' || angle.type !== 'HarmonicAngleForce' || torsion.type !== 'PeriodicTorsionForce' ||
    rb.type !== 'RBTorsionForce' || nonbonded.type !== 'NonbondedForce' || cmm.type !== 'CMMotionRemover') return t.fail('force order')
  t.deepEqual(expected.bonds, [0, 1].map(i => [bond.p1[i], bond.p2[i], bond.lengthNm[i], bond.k[i]]))
  t.is(bond.forceGroup, 3)
  t.deepEqual(expected.angles, [[angle.p1[0], angle.p2[0], angle.p3[0], angle.angleRad[0], angle.k[0]]])
  t.deepEqual(expected.torsions, [0, 1].map(i => [torsion.p1[i], torsion.p2[i], torsion.p3[i], torsion.p4[i], torsion.periodicity[i], torsion.phaseRad[i], torsion.k[i]]))
  t.deepEqual(expected.rb, [[rb.p1[0], rb.p2[0], rb.p3[0], rb.p4[0], ...rb.c]])
  t.deepEqual(expected.particles, [0, 1, 2, 3, 4, 5].map(i => [nonbonded.charge[i], nonbonded.sigmaNm[i], nonbonded.epsilon[i]]))
  t.deepEqual(expected.exceptions, [0, 1].map(i => [nonbonded.exceptionP1[i], nonbonded.exceptionP2[i], nonbonded.exceptionChargeProd[i], nonbonded.exceptionSigmaNm[i], nonbonded.exceptionEpsilon[i]]))
  t.like(nonbonded, { method: 'CutoffNonPeriodic', cutoffNm: expected.cutoff, switchingDistanceNm: expected.switching, reactionFieldDielectric: expected.rf, useSwitchingFunction: true, useDispersionCorrection: false, forceGroup: 7 })
  t.is(cmm.frequency, 7)
})
