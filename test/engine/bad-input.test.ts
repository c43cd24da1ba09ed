/**
 * Hostile and broken inputs: every one must give a typed error (asserted by
 * `name`), never a crash, a hang or an unbounded allocation. Also the
 * cross-checks of `loadInputs` between System, PDB and State.
 */
import test from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { firstUnsupportedFeature, genericTopology, loadInputs, parseIntegratorXml, parseStateXml, parseSystemXml, writePdb } from '../../src/engine/index.ts'
import { fixturesRoot, readIfExists, replaceOnce } from './io-helpers.ts'

/** Two argon-like atoms with a periodic reaction-field NonbondedForce (cutoff 1 nm) in a 3 nm box. */
const SYSTEM_XML = `<?xml version="1.0" ?>
<System openmmVersion="7.7" type="System" version="1">
	<PeriodicBoxVectors>
		<A x="3" y="0" z="0"/>
		<B x="0" y="3" z="0"/>
		<C x="0" y="0" z="3"/>
	</PeriodicBoxVectors>
	<Particles>
		<Particle mass="39.9"/>
		<Particle mass="39.9"/>
	</Particles>
	<Constraints/>
	<Forces>
		<Force cutoff="1" dispersionCorrection="1" ewaldTolerance=".0005" forceGroup="0" method="2" name="NonbondedForce" rfDielectric="78.3" type="NonbondedForce" version="3">
			<GlobalParameters/>
			<ParticleOffsets/>
			<ExceptionOffsets/>
			<Particles>
				<Particle eps=".996" q="0" sig=".34"/>
				<Particle eps=".996" q="0" sig=".34"/>
			</Particles>
			<Exceptions/>
		</Force>
	</Forces>
</System>
`
const INTEGRATOR_XML = '<Integrator constraintTolerance="1e-05" stepSize=".002" type="VerletIntegrator" version="1"/>'
const STATE_XML = `<State stepCount="10" time=".02" type="State" version="1">
	<PeriodicBoxVectors><A x="2.5" y="0" z="0"/><B x="0" y="2.5" z="0"/><C x="0" y="0" z="2.5"/></PeriodicBoxVectors>
	<Positions><Position x="0" y="0" z="0"/><Position x=".4" y="0" z="0"/></Positions>
	<Velocities><Velocity x="0" y="0" z="0"/><Velocity x=".1" y="0" z="0"/></Velocities>
</State>`
const PDB = writePdb(genericTopology(2), [{ positionsNm: [0, 0, 0, 0.5, 0, 0], box: Float64Array.of(2.8, 0, 0, 0, 2.8, 0, 0, 0, 2.8) }])

test('loadInputs: State positions and box win over the PDB, the PDB over the System default', t => {
  const fromState = loadInputs({ systemXml: SYSTEM_XML, integratorXml: INTEGRATOR_XML, pdb: PDB, stateXml: STATE_XML })
  t.deepEqual(Array.from(fromState.state.positionsNm), [0, 0, 0, 0.4, 0, 0])
  t.deepEqual(Array.from(fromState.state.velocitiesNmPerPs!), [0, 0, 0, 0.1, 0, 0])
  t.deepEqual(Array.from(fromState.state.box!), [2.5, 0, 0, 0, 2.5, 0, 0, 0, 2.5])
  t.is(fromState.state.step, 10)
  t.is(fromState.integrator?.type, 'VerletIntegrator')
  t.deepEqual(fromState.topology.atomNames, ['X', 'X'])

  const fromPdb = loadInputs({ systemXml: SYSTEM_XML, pdb: PDB })
  t.deepEqual(Array.from(fromPdb.state.positionsNm), [0, 0, 0, 0.5, 0, 0])
  t.is(fromPdb.state.velocitiesNmPerPs, null)
  t.true(Math.abs(fromPdb.state.box![0] - 2.8) < 1e-12)
  t.is(fromPdb.integrator, null)

  const noCryst1 = PDB.split('\n').filter(line => !line.startsWith('CRYST1')).join('\n')
  t.is(loadInputs({ systemXml: SYSTEM_XML, pdb: noCryst1 }).state.box![0], 3)
  t.is(loadInputs({ systemXml: SYSTEM_XML, stateXml: STATE_XML }).topology.atomCount, 2)
})

test('loadInputs reads every fixture', t => {
  const dirs = fs.existsSync(fixturesRoot) ? fs.readdirSync(fixturesRoot).map(name => path.join(fixturesRoot, name)) : []
  for (const dir of dirs) {
    const systemXml = readIfExists(path.join(dir, 'system.xml'))
    if (systemXml === undefined) continue
    const inputs = { systemXml, pdb: readIfExists(path.join(dir, 'structure.pdb')), stateXml: readIfExists(path.join(dir, 'state.xml')), integratorXml: readIfExists(path.join(dir, 'integrator.xml')) }
    const refusal = firstUnsupportedFeature(systemXml)
    if (refusal !== null) {
      const error = t.throws(() => loadInputs(inputs), undefined, dir)
      t.is(error?.name, 'UnsupportedForceError', dir)
      t.is((error as { forceType?: string }).forceType, refusal, dir)
      continue
    }
    const loaded = loadInputs(inputs)
    t.is(loaded.state.positionsNm.length, 3 * loaded.system.particleCount, dir)
  }
  t.pass()
})

test('malformed and truncated XML is XmlParseError with a line number', t => {
  const cases: Array<[string, string]> = [
    ['truncated in the middle', SYSTEM_XML.slice(0, Math.floor(SYSTEM_XML.length / 2))],
    ['truncated one character short', SYSTEM_XML.trimEnd().slice(0, -1)],
    ['missing closing tag', SYSTEM_XML.replace('</Forces>', '')],
    ['mismatched tag', SYSTEM_XML.replace('</Particles>\n\t<Constraints/>', '</Particle>\n\t<Constraints/>')],
    ['unquoted attribute', SYSTEM_XML.replace('mass="39.9"', 'mass=39.9')],
    ['unterminated attribute', SYSTEM_XML.replace('mass="39.9"', 'mass="39.9')],
    ['duplicate attribute', SYSTEM_XML.replace('mass="39.9"', 'mass="39.9" mass="1"')],
    ['two roots', SYSTEM_XML + '<System/>'],
    ['not XML at all', 'ATOM      1  C   MOL A   1       1.000   2.000   3.000'],
    ['binary', '\u0000\u0001\u0002\u00ff'],
    ['empty', ''],
  ]
  for (const [label, xml] of cases) {
    const error = t.throws(() => parseSystemXml(xml), undefined, label)
    t.is(error?.name, 'XmlParseError', `${label}: ${error?.message}`)
  }
  t.regex(t.throws(() => parseSystemXml(SYSTEM_XML.replace('mass="39.9"', 'mass=39.9')))?.message ?? '', /line 9/)
})

test('entity expansion (billion laughs), external entities and DOCTYPEs are refused', t => {
  const laughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<System type="System" version="1"><Particles><Particle mass="&lol9;"/></Particles></System>`
  const external = '<?xml version="1.0"?>\n<!DOCTYPE System [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<System><Particles><Particle mass="&xxe;"/></Particles></System>'
  const bareEntity = '<!ENTITY x "y">\n<System/>'
  const plainDoctype = '<?xml version="1.0"?>\n<!DOCTYPE System>\n' + SYSTEM_XML.replace('<?xml version="1.0" ?>\n', '')
  for (const xml of [laughs, external, bareEntity, plainDoctype]) {
    t.is(t.throws(() => parseSystemXml(xml))?.name, 'XmlParseError')
  }
  t.is(t.throws(() => parseIntegratorXml(external))?.name, 'XmlParseError')
  t.is(t.throws(() => parseStateXml(laughs))?.name, 'XmlParseError')
  // An entity reference without a definition is not expanded either.
  t.is(t.throws(() => parseSystemXml(SYSTEM_XML.replace('name="NonbondedForce"', 'name="&lol9;"')))?.name, 'XmlParseError')
})

test('oversized and absurdly nested XML is XmlParseError', t => {
  t.is(t.throws(() => parseSystemXml(SYSTEM_XML, { maxXmlBytes: 200 }))?.name, 'XmlParseError')
  t.is(t.throws(() => parseIntegratorXml(INTEGRATOR_XML, { maxXmlBytes: 10 }))?.name, 'XmlParseError')
  // Multi-byte characters count as the bytes they take in UTF-8.
  const wide = SYSTEM_XML.replace('name="NonbondedForce"', `name="${'é'.repeat(200)}"`)
  t.is(t.throws(() => parseSystemXml(wide, { maxXmlBytes: SYSTEM_XML.length + 300 }))?.name, 'XmlParseError')
  const depth = 10_000
  const nested = '<System>' + '<a>'.repeat(depth) + '</a>'.repeat(depth) + '</System>'
  t.is(t.throws(() => parseSystemXml(nested))?.name, 'XmlParseError')
})

test('particle counts that disagree are ParticleCountMismatchError', t => {
  const threeAtoms = writePdb(genericTopology(3), [{ positionsNm: new Float64Array(9), box: null }])
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, pdb: threeAtoms }))?.name, 'ParticleCountMismatchError')
  const oneAtomState = STATE_XML.replace('<Position x=".4" y="0" z="0"/>', '').replace('<Velocity x=".1" y="0" z="0"/>', '')
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, stateXml: oneAtomState }))?.name, 'ParticleCountMismatchError')
})

test('NaN or infinite coordinates are InvalidCoordinatesError', t => {
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, stateXml: STATE_XML.replace('x=".4"', 'x="NaN"') }))?.name, 'InvalidCoordinatesError')
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, stateXml: STATE_XML.replace('<Velocity x=".1"', '<Velocity x="inf"') }))?.name, 'InvalidCoordinatesError')
  const nanPdb = PDB.replace(/(HETATM    2.{19}).{8}/, '$1     nan')
  t.not(nanPdb, PDB)
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, pdb: nanPdb }))?.name, 'InvalidCoordinatesError')
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML }))?.name, 'InvalidCoordinatesError')
})

test('bad integrators: zero or negative step, unknown type', t => {
  for (const step of ['0', '-0.002', 'NaN', '']) {
    const error = t.throws(() => loadInputs({ systemXml: SYSTEM_XML, pdb: PDB, integratorXml: INTEGRATOR_XML.replace('.002', step) }))
    t.is(error?.name, 'InvalidIntegratorError', `stepSize="${step}"`)
  }
  const error = t.throws(() => loadInputs({ systemXml: SYSTEM_XML, pdb: PDB, integratorXml: INTEGRATOR_XML.replace('VerletIntegrator', 'BrownianIntegrator') }))
  t.is(error?.name, 'UnsupportedIntegratorError')
})

test('unsupported forces are UnsupportedForceError naming the force', t => {
  const cmapFixture = readIfExists(path.join(fixturesRoot, 'ala2-charmm-cmap', 'system.xml'))
  const cmapInline = replaceOnce(SYSTEM_XML, '\t</Forces>', '\t\t<Force forceGroup="0" name="CMAPTorsionForce" type="CMAPTorsionForce" usesPeriodic="0" version="2"><Maps/><Torsions/></Force>\n\t</Forces>')
  for (const systemXml of [cmapInline, cmapFixture].filter((x): x is string => x !== undefined)) {
    const error = t.throws(() => loadInputs({ systemXml, pdb: PDB }))
    t.is(error?.name, 'UnsupportedForceError')
    t.is((error as { forceType?: string }).forceType, 'CMAPTorsionForce')
  }
  const noDirectSpace = t.throws(() => parseSystemXml(SYSTEM_XML.replace('method="2"', 'method="2" includeDirectSpace="0"')))
  t.is(noDirectSpace?.name, 'UnsupportedForceError')
  t.is((noDirectSpace as { forceType?: string }).forceType, 'NonbondedForce (includeDirectSpace=0)')
})

test('periodic Systems need a box at least twice the cutoff: InvalidBoxError', t => {
  const noBox = SYSTEM_XML.replace(/<PeriodicBoxVectors>[\s\S]*<\/PeriodicBoxVectors>/, '')
  const noCryst1 = PDB.split('\n').filter(line => !line.startsWith('CRYST1')).join('\n')
  t.is(t.throws(() => loadInputs({ systemXml: noBox, pdb: noCryst1 }))?.name, 'InvalidBoxError')
  t.true(Math.abs(loadInputs({ systemXml: noBox, pdb: PDB }).state.box![0] - 2.8) < 1e-12)
  const smallBox = writePdb(genericTopology(2), [{ positionsNm: [0, 0, 0, 0.5, 0, 0], box: Float64Array.of(1.9, 0, 0, 0, 3, 0, 0, 0, 3) }])
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, pdb: smallBox }))?.name, 'InvalidBoxError')
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, stateXml: STATE_XML.replace('<A x="2.5"', '<A x="1.5"') }))?.name, 'InvalidBoxError')
  // The same small box is fine once the System is not periodic.
  t.true(Math.abs(loadInputs({ systemXml: SYSTEM_XML.replace('method="2"', 'method="1"'), pdb: smallBox }).state.box![0] - 1.9) < 1e-12)
})

test('files given in place of each other are refused with a typed error', t => {
  t.is(t.throws(() => loadInputs({ systemXml: INTEGRATOR_XML, pdb: PDB }))?.name, 'InvalidSystemError')
  t.is(t.throws(() => loadInputs({ systemXml: PDB }))?.name, 'XmlParseError')
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, pdb: SYSTEM_XML }))?.name, 'PdbParseError')
  t.is(t.throws(() => loadInputs({ systemXml: SYSTEM_XML, pdb: PDB, integratorXml: STATE_XML }))?.name, 'InvalidIntegratorError')
})
