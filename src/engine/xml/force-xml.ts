/**
 * Readers for each supported `<Force>` element of OpenMM System XML (the
 * XmlSerializer proxies of OpenMM 7.x and 8.x), straight into the flat
 * typed arrays of `../system.ts`. Every index is checked against the
 * particle count and every number for finiteness; problems raise
 * InvalidSystemError naming the force and the item.
 */
import { InvalidSystemError, UnsupportedForceError } from '../errors.ts'
import {
  NONBONDED_METHOD_BY_CODE,
  type CMMotionRemover, type Force, type HarmonicAngleForce, type HarmonicBondForce,
  type NonbondedForce, type NonbondedMethod, type PeriodicTorsionForce, type RBTorsionForce,
  GBSAOBC_METHOD_BY_CODE, type GBSAOBCForce, type MonteCarloBarostat,
} from '../system.ts'
import { booleanAttribute, finiteAttribute, integerAttribute, parseNumber } from './attributes.ts'
import { childElement, type XmlElement } from './safe-xml.ts'

const invalid = (message: string): Error => new InvalidSystemError(message)

/** Nonbonded methods the builtin engine implements. */
const BUILTIN_NONBONDED_METHODS: ReadonlySet<NonbondedMethod> = new Set(['NoCutoff', 'CutoffNonPeriodic', 'CutoffPeriodic', 'Ewald', 'PME', 'LJPME'])

/** Per-item reading context: names the force in messages, built only when something is wrong. */
class ItemReader {
  constructor (readonly forceLabel: string, readonly itemName: string, readonly particleCount: number) {}

  fail (index: number, message: string): never {
    throw new InvalidSystemError(`${this.forceLabel}, ${this.itemName} ${index}: ${message}`)
  }

  /** A particle index in [0, particleCount). */
  particle (attributes: Readonly<Record<string, string>>, name: string, index: number): number {
    const text = attributes[name]
    const value = text === undefined || text.length === 0 ? NaN : +text
    if (value >= 0 && value < this.particleCount && Math.floor(value) === value) return value
    if (text === undefined) this.fail(index, `missing attribute ${name}.`)
    return this.fail(index, `${name}="${text}" is not a particle index between 0 and ${this.particleCount - 1}.`)
  }

  /** A finite number. */
  number (attributes: Readonly<Record<string, string>>, name: string, index: number): number {
    const text = attributes[name]
    const value = parseNumber(text)
    if (Number.isFinite(value)) return value
    if (text === undefined) this.fail(index, `missing attribute ${name}.`)
    return this.fail(index, `${name}="${text}" is not a finite number.`)
  }

  /** An integer. */
  integer (attributes: Readonly<Record<string, string>>, name: string, index: number): number {
    const value = this.number(attributes, name, index)
    if (Number.isInteger(value)) return value
    return this.fail(index, `${name}="${attributes[name]}" is not an integer.`)
  }
}

/** The child elements named `itemName` inside the list element `listName` (e.g. Bonds/Bond); [] when the list is absent. */
function items (force: XmlElement, listName: string, itemName: string, forceLabel: string): readonly XmlElement[] {
  const list = childElement(force, listName)
  if (list === undefined) throw new InvalidSystemError(`${forceLabel}: missing <${listName}> element.`)
  for (const child of list.children) {
    if (child.name !== itemName) throw new InvalidSystemError(`${forceLabel}: unexpected <${child.name}> inside <${listName}>; expected <${itemName}>.`)
  }
  return list.children
}

function forceGroup (force: XmlElement, label: string): number {
  const group = integerAttribute(force, 'forceGroup', label, invalid, 0)
  if (group < 0 || group > 31) throw new InvalidSystemError(`${label}: forceGroup=${group} must be between 0 and 31.`)
  return group
}

/**
 * The name of what the builtin engine cannot run in this `<Force>`, or null
 * when it can: the type itself when unsupported, or a qualified name such as
 * 'NonbondedForce (PME)'.
 */
export function unsupportedFeatureOfForce (force: XmlElement, supportedTypes: ReadonlySet<string>): string | null {
  const type = force.attributes.type ?? ''
  if (!supportedTypes.has(type)) return type
  if (type !== 'NonbondedForce') return null
  const code = parseNumber(force.attributes.method)
  const method = NONBONDED_METHOD_BY_CODE[code]
  if (method !== undefined && !BUILTIN_NONBONDED_METHODS.has(method)) return `NonbondedForce (${method})`
  if (!booleanAttribute(force, 'includeDirectSpace', 'NonbondedForce', invalid, true)) return 'NonbondedForce (includeDirectSpace=0)'
  const periodic = method === 'CutoffPeriodic'
  if (periodic && booleanAttribute(force, 'exceptionsUsePeriodic', 'NonbondedForce', invalid, false)) return 'NonbondedForce (exceptionsUsePeriodic=1)'
  for (const listName of ['GlobalParameters', 'ParticleOffsets', 'ExceptionOffsets']) {
    const list = childElement(force, listName)
    if (list !== undefined && list.children.length > 0) return `NonbondedForce (${listName})`
  }
  return null
}

/** Reads one supported `<Force>`; `index` is its position in `<Forces>` (for messages). */
export function readForce (force: XmlElement, index: number, particleCount: number): Force {
  const type = force.attributes.type
  const label = `${type} (force ${index})`
  switch (type) {
    case 'HarmonicBondForce': return readHarmonicBondForce(force, label, particleCount)
    case 'HarmonicAngleForce': return readHarmonicAngleForce(force, label, particleCount)
    case 'PeriodicTorsionForce': return readPeriodicTorsionForce(force, label, particleCount)
    case 'RBTorsionForce': return readRBTorsionForce(force, label, particleCount)
    case 'NonbondedForce': return readNonbondedForce(force, label, particleCount)
    case 'CMMotionRemover': return readCMMotionRemover(force, label)
    case 'GBSAOBCForce': return readGBSAOBCForce(force, label, particleCount)
    case 'MonteCarloBarostat': return readMonteCarloBarostat(force, label)
    default: throw new UnsupportedForceError(type ?? '(a <Force> without a type)')
  }
}

function readHarmonicBondForce (force: XmlElement, label: string, particleCount: number): HarmonicBondForce {
  const bonds = items(force, 'Bonds', 'Bond', label)
  const n = bonds.length
  const reader = new ItemReader(label, 'bond', particleCount)
  const p1 = new Int32Array(n); const p2 = new Int32Array(n)
  const lengthNm = new Float64Array(n); const k = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = bonds[i].attributes
    p1[i] = reader.particle(a, 'p1', i)
    p2[i] = reader.particle(a, 'p2', i)
    lengthNm[i] = reader.number(a, 'd', i)
    k[i] = reader.number(a, 'k', i)
  }
  return {
    type: 'HarmonicBondForce',
    forceGroup: forceGroup(force, label),
    usesPeriodicBoundaryConditions: booleanAttribute(force, 'usesPeriodic', label, invalid, false),
    p1, p2, lengthNm, k,
  }
}

function readHarmonicAngleForce (force: XmlElement, label: string, particleCount: number): HarmonicAngleForce {
  const angles = items(force, 'Angles', 'Angle', label)
  const n = angles.length
  const reader = new ItemReader(label, 'angle', particleCount)
  const p1 = new Int32Array(n); const p2 = new Int32Array(n); const p3 = new Int32Array(n)
  const angleRad = new Float64Array(n); const k = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = angles[i].attributes
    p1[i] = reader.particle(a, 'p1', i)
    p2[i] = reader.particle(a, 'p2', i)
    p3[i] = reader.particle(a, 'p3', i)
    angleRad[i] = reader.number(a, 'a', i)
    k[i] = reader.number(a, 'k', i)
  }
  return {
    type: 'HarmonicAngleForce',
    forceGroup: forceGroup(force, label),
    usesPeriodicBoundaryConditions: booleanAttribute(force, 'usesPeriodic', label, invalid, false),
    p1, p2, p3, angleRad, k,
  }
}

function readPeriodicTorsionForce (force: XmlElement, label: string, particleCount: number): PeriodicTorsionForce {
  const torsions = items(force, 'Torsions', 'Torsion', label)
  const n = torsions.length
  const reader = new ItemReader(label, 'torsion', particleCount)
  const p1 = new Int32Array(n); const p2 = new Int32Array(n); const p3 = new Int32Array(n); const p4 = new Int32Array(n)
  const periodicity = new Int32Array(n); const phaseRad = new Float64Array(n); const k = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const a = torsions[i].attributes
    p1[i] = reader.particle(a, 'p1', i)
    p2[i] = reader.particle(a, 'p2', i)
    p3[i] = reader.particle(a, 'p3', i)
    p4[i] = reader.particle(a, 'p4', i)
    periodicity[i] = reader.integer(a, 'periodicity', i)
    phaseRad[i] = reader.number(a, 'phase', i)
    k[i] = reader.number(a, 'k', i)
  }
  return {
    type: 'PeriodicTorsionForce',
    forceGroup: forceGroup(force, label),
    usesPeriodicBoundaryConditions: booleanAttribute(force, 'usesPeriodic', label, invalid, false),
    p1, p2, p3, p4, periodicity, phaseRad, k,
  }
}

const RB_COEFFICIENTS = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'] as const

function readRBTorsionForce (force: XmlElement, label: string, particleCount: number): RBTorsionForce {
  const torsions = items(force, 'Torsions', 'Torsion', label)
  const n = torsions.length
  const reader = new ItemReader(label, 'torsion', particleCount)
  const p1 = new Int32Array(n); const p2 = new Int32Array(n); const p3 = new Int32Array(n); const p4 = new Int32Array(n)
  const c = new Float64Array(6 * n)
  for (let i = 0; i < n; i++) {
    const a = torsions[i].attributes
    p1[i] = reader.particle(a, 'p1', i)
    p2[i] = reader.particle(a, 'p2', i)
    p3[i] = reader.particle(a, 'p3', i)
    p4[i] = reader.particle(a, 'p4', i)
    for (let j = 0; j < 6; j++) c[6 * i + j] = reader.number(a, RB_COEFFICIENTS[j], i)
  }
  return {
    type: 'RBTorsionForce',
    forceGroup: forceGroup(force, label),
    usesPeriodicBoundaryConditions: booleanAttribute(force, 'usesPeriodic', label, invalid, false),
    p1, p2, p3, p4, c,
  }
}

function readNonbondedForce (force: XmlElement, label: string, particleCount: number): NonbondedForce {
  const methodCode = integerAttribute(force, 'method', label, invalid)
  const method = NONBONDED_METHOD_BY_CODE[methodCode]
  if (method === undefined) throw new InvalidSystemError(`${label}: method=${methodCode} is not an OpenMM nonbonded method (0 to 5).`)
  if (!BUILTIN_NONBONDED_METHODS.has(method)) throw new UnsupportedForceError(`NonbondedForce (${method})`)
  const cutoffNm = finiteAttribute(force, 'cutoff', label, invalid, 1.0)
  if (method !== 'NoCutoff' && !(cutoffNm > 0)) throw new InvalidSystemError(`${label}: cutoff=${cutoffNm} nm must be positive.`)
  const useSwitchingFunction = booleanAttribute(force, 'useSwitchingFunction', label, invalid, false)
  const switchingDistanceNm = finiteAttribute(force, 'switchingDistance', label, invalid, -1)
  if (method !== 'NoCutoff' && useSwitchingFunction && (switchingDistanceNm < 0 || switchingDistanceNm >= cutoffNm)) {
    throw new InvalidSystemError(`${label}: switchingDistance=${switchingDistanceNm} nm must be at least 0 and less than the cutoff ${cutoffNm} nm.`)
  }
  const reactionFieldDielectric = finiteAttribute(force, 'rfDielectric', label, invalid, 78.3)
  if (!(reactionFieldDielectric > 0)) throw new InvalidSystemError(`${label}: rfDielectric=${reactionFieldDielectric} must be positive.`)
  const ewaldErrorTolerance = finiteAttribute(force, 'ewaldTolerance', label, invalid, 5e-4)
  const reciprocalSpaceForceGroup = integerAttribute(force, 'recipForceGroup', label, invalid, -1)
  if (reciprocalSpaceForceGroup < -1 || reciprocalSpaceForceGroup > 31) {
    throw new InvalidSystemError(`${label}: recipForceGroup=${reciprocalSpaceForceGroup} must be -1 or between 0 and 31.`)
  }
  const feature = unsupportedFeatureOfForce(force, new Set(['NonbondedForce']))
  if (feature !== null) throw new UnsupportedForceError(feature)

  const particles = items(force, 'Particles', 'Particle', label)
  if (particles.length !== particleCount) {
    throw new InvalidSystemError(`${label}: has parameters for ${particles.length} particles but the System has ${particleCount}; they must match.`)
  }
  const particleReader = new ItemReader(label, 'particle', particleCount)
  const charge = new Float64Array(particleCount); const sigmaNm = new Float64Array(particleCount); const epsilon = new Float64Array(particleCount)
  for (let i = 0; i < particleCount; i++) {
    const a = particles[i].attributes
    charge[i] = particleReader.number(a, 'q', i)
    sigmaNm[i] = particleReader.number(a, 'sig', i)
    epsilon[i] = particleReader.number(a, 'eps', i)
  }

  const exceptions = items(force, 'Exceptions', 'Exception', label)
  const n = exceptions.length
  const reader = new ItemReader(label, 'exception', particleCount)
  const exceptionP1 = new Int32Array(n); const exceptionP2 = new Int32Array(n)
  const exceptionChargeProd = new Float64Array(n); const exceptionSigmaNm = new Float64Array(n); const exceptionEpsilon = new Float64Array(n)
  const seenPairs = new Set<number>()
  for (let i = 0; i < n; i++) {
    const a = exceptions[i].attributes
    const p1 = reader.particle(a, 'p1', i)
    const p2 = reader.particle(a, 'p2', i)
    if (p1 === p2) reader.fail(i, `p1 and p2 are the same particle (${p1}).`)
    const pairKey = p1 < p2 ? p1 * particleCount + p2 : p2 * particleCount + p1
    if (seenPairs.has(pairKey)) reader.fail(i, `particles ${p1} and ${p2} already have an exception; OpenMM allows one per pair.`)
    seenPairs.add(pairKey)
    exceptionP1[i] = p1
    exceptionP2[i] = p2
    exceptionChargeProd[i] = reader.number(a, 'q', i)
    exceptionSigmaNm[i] = reader.number(a, 'sig', i)
    exceptionEpsilon[i] = reader.number(a, 'eps', i)
  }
  return {
    type: 'NonbondedForce',
    forceGroup: forceGroup(force, label),
    method,
    cutoffNm,
    useSwitchingFunction,
    switchingDistanceNm,
    useDispersionCorrection: booleanAttribute(force, 'dispersionCorrection', label, invalid, true),
    reactionFieldDielectric,
    ewaldErrorTolerance,
    reciprocalSpaceForceGroup,
    charge, sigmaNm, epsilon,
    exceptionP1, exceptionP2, exceptionChargeProd, exceptionSigmaNm, exceptionEpsilon,
    ...ewaldSettings(force, method, label),
  }
}

/** Ewald/PME settings of a NonbondedForce: alpha and grid when the XML sets them (0 = OpenMM chooses), exceptionsUsePeriodic. */
function ewaldSettings (force: XmlElement, method: NonbondedMethod, label: string): Partial<NonbondedForce> {
  if (method !== 'Ewald' && method !== 'PME' && method !== 'LJPME') return {}
  const alpha = (name: string): number => {
    const value = finiteAttribute(force, name, label, invalid, 0)
    if (value < 0) throw new InvalidSystemError(`${label}: ${name}=${value} nm^-1 must not be negative.`)
    return value
  }
  const grid = (name: string): number => {
    const size = integerAttribute(force, name, label, invalid, 0)
    if (size < 0 || size > 4096) throw new InvalidSystemError(`${label}: ${name}=${size} must be a PME grid size between 0 and 4096.`)
    return size
  }
  return {
    pmeAlphaPerNm: alpha('alpha'),
    pmeGridX: grid('nx'),
    pmeGridY: grid('ny'),
    pmeGridZ: grid('nz'),
    ...(method === 'LJPME'
      ? { ljpmeAlphaPerNm: alpha('ljAlpha'), ljpmeGridX: grid('ljnx'), ljpmeGridY: grid('ljny'), ljpmeGridZ: grid('ljnz') }
      : {}),
    exceptionsUsePeriodic: booleanAttribute(force, 'exceptionsUsePeriodic', label, invalid, false),
  }
}

function readCMMotionRemover (force: XmlElement, label: string): CMMotionRemover {
  const frequency = integerAttribute(force, 'frequency', label, invalid, 1)
  if (frequency < 1) throw new InvalidSystemError(`${label}: frequency=${frequency} must be at least 1 step.`)
  return { type: 'CMMotionRemover', forceGroup: forceGroup(force, label), frequency }
}

function readGBSAOBCForce (force: XmlElement, label: string, particleCount: number): GBSAOBCForce {
  const methodCode = integerAttribute(force, 'method', label, invalid, 0)
  const method = GBSAOBC_METHOD_BY_CODE[methodCode]
  if (method === undefined) throw new InvalidSystemError(`${label}: method=${methodCode} is not a GBSAOBCForce method (0 to 2).`)
  const cutoffNm = finiteAttribute(force, 'cutoff', label, invalid, 1.0)
  if (method !== 'NoCutoff' && !(cutoffNm > 0)) throw new InvalidSystemError(`${label}: cutoff=${cutoffNm} nm must be positive.`)
  const soluteDielectric = finiteAttribute(force, 'soluteDielectric', label, invalid, 1.0)
  const solventDielectric = finiteAttribute(force, 'solventDielectric', label, invalid, 78.3)
  if (!(soluteDielectric > 0) || !(solventDielectric > 0)) {
    throw new InvalidSystemError(`${label}: soluteDielectric=${soluteDielectric} and solventDielectric=${solventDielectric} must be positive.`)
  }
  const surfaceAreaEnergy = finiteAttribute(force, 'surfaceAreaEnergy', label, invalid, 2.25936)
  const particles = items(force, 'Particles', 'Particle', label)
  if (particles.length !== particleCount) {
    throw new InvalidSystemError(`${label}: has parameters for ${particles.length} particles but the System has ${particleCount}; they must match.`)
  }
  const reader = new ItemReader(label, 'particle', particleCount)
  const charge = new Float64Array(particleCount); const radiusNm = new Float64Array(particleCount); const scale = new Float64Array(particleCount)
  for (let i = 0; i < particleCount; i++) {
    const a = particles[i].attributes
    charge[i] = reader.number(a, 'q', i)
    radiusNm[i] = reader.number(a, 'r', i)
    scale[i] = reader.number(a, 'scale', i)
    if (!(radiusNm[i] > 0.009)) reader.fail(i, `radius r=${radiusNm[i]} nm must be larger than OBC's dielectric offset 0.009 nm.`)
  }
  return {
    type: 'GBSAOBCForce',
    forceGroup: forceGroup(force, label),
    method,
    usesPeriodicBoundaryConditions: method === 'CutoffPeriodic',
    cutoffNm, soluteDielectric, solventDielectric, surfaceAreaEnergy,
    charge, radiusNm, scale,
  }
}

function readMonteCarloBarostat (force: XmlElement, label: string): MonteCarloBarostat {
  const pressureBar = finiteAttribute(force, 'pressure', label, invalid, 1.0)
  const temperatureK = finiteAttribute(force, 'temperature', label, invalid, 300)
  if (!(temperatureK > 0)) throw new InvalidSystemError(`${label}: temperature=${temperatureK} K must be positive.`)
  const frequency = integerAttribute(force, 'frequency', label, invalid, 25)
  if (frequency < 0) throw new InvalidSystemError(`${label}: frequency=${frequency} must not be negative.`)
  const randomSeed = integerAttribute(force, 'randomSeed', label, invalid, 0)
  return { type: 'MonteCarloBarostat', forceGroup: forceGroup(force, label), pressureBar, temperatureK, frequency, randomSeed }
}
