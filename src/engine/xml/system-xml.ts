/**
 * OpenMM System XML (XmlSerializer output of OpenMM 7.x and 8.x) → `System`.
 *
 * ```xml
 * <System openmmVersion="8.1" type="System" version="1">
 *   <PeriodicBoxVectors><A x= y= z=/><B .../><C .../></PeriodicBoxVectors>
 *   <Particles><Particle mass="12.01"/>...</Particles>
 *   <Constraints><Constraint p1= p2= d=/>...</Constraints>
 *   <Forces><Force type="HarmonicBondForce" forceGroup= ...>...</Force>...</Forces>
 * </System>
 * ```
 * Forces, virtual sites or nonbonded methods the builtin engine lacks are
 * refused with UnsupportedForceError before anything else is checked.
 */
import { InvalidBoxError, InvalidSystemError, UnsupportedForceError } from '../errors.ts'
import { reduceBox } from '../box.ts'
import { resolveLimits, type InputLimits } from '../limits.ts'
import { SUPPORTED_FORCE_TYPES, usesPeriodicBoundaryConditions, type BoxVectors, type Constraints, type Force, type System } from '../system.ts'
import { parseNumber, type ErrorFactory } from './attributes.ts'
import { readBoxVectors } from './box-xml.ts'
import { readForce, unsupportedFeatureOfForce } from './force-xml.ts'
import { childElement, parseXml, type XmlElement } from './safe-xml.ts'

const invalid: ErrorFactory = (message) => new InvalidSystemError(message)

/** Parses OpenMM System XML. Throws XmlParseError, InvalidSystemError, InvalidBoxError, UnsupportedForceError. */
export function parseSystemXml (xml: string, limits?: Partial<InputLimits>): System {
  const resolved = resolveLimits(limits)
  const root = systemRoot(xml, resolved)
  const forceElements = forceElementsOf(root)
  const forceTypes = forceElements.map(force => force.attributes.type)
  const refusal = firstUnsupportedFeatureOf(root, forceElements)
  if (refusal !== null) throw new UnsupportedForceError(refusal)

  const masses = readMasses(root, resolved.maxAtoms)
  const particleCount = masses.length
  const constraints = readConstraints(root, particleCount)
  const forces: Force[] = forceElements.map((element, index) => readForce(element, index, particleCount))
  const system: System = { particleCount, masses, constraints, forces, defaultBox: null, forceTypes }
  return { ...system, defaultBox: readDefaultBox(root, usesPeriodicBoundaryConditions(system)) }
}

/** The `type` of every `<Force>` in System XML, in order, refusing none (for capability matching). */
export function readSystemForceTypes (xml: string, limits?: Partial<InputLimits>): string[] {
  return forceElementsOf(systemRoot(xml, resolveLimits(limits))).map(force => force.attributes.type)
}

/**
 * What the builtin engine would refuse in this System XML (e.g.
 * 'CMAPTorsionForce', 'NonbondedForce (PME)', 'virtual sites'), or null when
 * it can run it. Same order of checks as `parseSystemXml`.
 */
export function firstUnsupportedFeature (xml: string, limits?: Partial<InputLimits>): string | null {
  const root = systemRoot(xml, resolveLimits(limits))
  return firstUnsupportedFeatureOf(root, forceElementsOf(root))
}

function systemRoot (xml: string, limits: InputLimits): XmlElement {
  const root = parseXml(xml, { maxBytes: limits.maxXmlBytes, what: 'System XML' })
  if (root.name !== 'System') {
    throw new InvalidSystemError(`Expected OpenMM System XML (root element <System>), found <${root.name}>. Was another file given in its place?`)
  }
  const version = root.attributes.version
  if (version !== undefined && version !== '1') {
    throw new InvalidSystemError(`System XML version ${version} is not supported (OpenMM 7 and 8 write version 1).`)
  }
  return root
}

function forceElementsOf (root: XmlElement): XmlElement[] {
  const forces = childElement(root, 'Forces')
  if (forces === undefined) return []
  return forces.children.map((force, index) => {
    if (force.name !== 'Force') throw new InvalidSystemError(`System XML: unexpected <${force.name}> inside <Forces>; expected <Force>.`)
    const type = force.attributes.type
    if (type === undefined || type === '') throw new InvalidSystemError(`System XML: force ${index} has no type attribute.`)
    return force
  })
}

function firstUnsupportedFeatureOf (root: XmlElement, forceElements: XmlElement[]): string | null {
  for (const force of forceElements) {
    const feature = unsupportedFeatureOfForce(force, SUPPORTED_FORCE_TYPES)
    if (feature !== null) return feature
  }
  const particles = childElement(root, 'Particles')
  if (particles !== undefined) {
    for (const particle of particles.children) {
      if (particle.children.length > 0) return `virtual sites (${particle.children[0].name})`
    }
  }
  return null
}

function readMasses (root: XmlElement, maxAtoms: number): Float64Array {
  const particles = childElement(root, 'Particles')
  if (particles === undefined) throw new InvalidSystemError('System XML has no <Particles> element.')
  const n = particles.children.length
  if (n === 0) throw new InvalidSystemError('System XML has no particles.')
  if (n > maxAtoms) throw new InvalidSystemError(`System has ${n} particles, more than this node's limit of ${maxAtoms}.`)
  const masses = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const particle = particles.children[i]
    if (particle.name !== 'Particle') throw new InvalidSystemError(`System XML: unexpected <${particle.name}> inside <Particles>; expected <Particle>.`)
    const text = particle.attributes.mass
    const mass = parseNumber(text)
    if (!(Number.isFinite(mass) && mass >= 0)) {
      throw new InvalidSystemError(`System particle ${i}: mass="${text ?? ''}" must be a finite number >= 0 amu.`)
    }
    masses[i] = mass
  }
  return masses
}

function readConstraints (root: XmlElement, particleCount: number): Constraints {
  const list = childElement(root, 'Constraints')?.children ?? []
  const n = list.length
  const p1 = new Int32Array(n); const p2 = new Int32Array(n); const distanceNm = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = list[i].attributes
    if (list[i].name !== 'Constraint') throw new InvalidSystemError(`System XML: unexpected <${list[i].name}> inside <Constraints>; expected <Constraint>.`)
    const i1 = parseNumber(a.p1); const i2 = parseNumber(a.p2); const d = parseNumber(a.d)
    for (const [name, value] of [['p1', i1], ['p2', i2]] as const) {
      if (!(value >= 0 && value < particleCount && Number.isInteger(value))) {
        throw new InvalidSystemError(`System constraint ${i}: ${name}="${a[name] ?? ''}" is not a particle index between 0 and ${particleCount - 1}.`)
      }
    }
    if (i1 === i2) throw new InvalidSystemError(`System constraint ${i}: p1 and p2 are the same particle (${i1}).`)
    if (!(Number.isFinite(d) && d > 0)) throw new InvalidSystemError(`System constraint ${i}: distance d="${a.d ?? ''}" must be a positive number of nm.`)
    p1[i] = i1; p2[i] = i2; distanceNm[i] = d
  }
  return { p1, p2, distanceNm }
}

/**
 * The default box, reduced. A System that needs periodic boundaries must
 * have a valid one (InvalidBoxError); for a non-periodic System an unusable
 * box is dropped (null).
 */
function readDefaultBox (root: XmlElement, periodic: boolean): BoxVectors | null {
  const element = childElement(root, 'PeriodicBoxVectors')
  if (element === undefined) return null
  try {
    return reduceBox(readBoxVectors(element, 'System XML <PeriodicBoxVectors>', invalid))
  } catch (error) {
    if (!periodic && (error instanceof InvalidBoxError || error instanceof InvalidSystemError)) return null
    if (error instanceof InvalidBoxError) throw new InvalidBoxError(`System default box: ${error.message}`)
    throw error
  }
}
