/**
 * OpenMM Integrator XML → `IntegratorSpec`:
 * `<Integrator type="LangevinMiddleIntegrator" stepSize=".002" constraintTolerance="1e-05"
 *   temperature="300" friction="1" randomSeed="0" version="1"/>`.
 * Only the integrators the builtin engine runs are accepted.
 */
import { InvalidIntegratorError, UnsupportedIntegratorError } from '../errors.ts'
import { SUPPORTED_INTEGRATOR_TYPES, type IntegratorSpec } from '../integrator-spec.ts'
import { resolveLimits, type InputLimits } from '../limits.ts'
import { finiteAttribute, integerAttribute, type ErrorFactory } from './attributes.ts'
import { parseXml } from './safe-xml.ts'

const invalid: ErrorFactory = (message) => new InvalidIntegratorError(message)

/** OpenMM's default relative constraint tolerance. */
const DEFAULT_CONSTRAINT_TOLERANCE = 1e-5

/** Parses OpenMM Integrator XML. Throws XmlParseError, UnsupportedIntegratorError, InvalidIntegratorError. */
export function parseIntegratorXml (xml: string, limits?: Partial<InputLimits>): IntegratorSpec {
  const root = parseXml(xml, { maxBytes: resolveLimits(limits).maxXmlBytes, what: 'Integrator XML' })
  if (root.name !== 'Integrator') {
    throw new InvalidIntegratorError(`Expected OpenMM Integrator XML (root element <Integrator>), found <${root.name}>. Was another file given in its place?`)
  }
  const type = root.attributes.type
  if (type === undefined || type === '') throw new InvalidIntegratorError('Integrator XML has no type attribute.')
  if (!SUPPORTED_INTEGRATOR_TYPES.has(type)) throw new UnsupportedIntegratorError(type)
  const where = type

  const stepSizePs = finiteAttribute(root, 'stepSize', where, invalid)
  if (!(stepSizePs > 0)) throw new InvalidIntegratorError(`${where}: stepSize=${stepSizePs} ps must be positive.`)
  const constraintTolerance = finiteAttribute(root, 'constraintTolerance', where, invalid, DEFAULT_CONSTRAINT_TOLERANCE)
  if (!(constraintTolerance > 0)) throw new InvalidIntegratorError(`${where}: constraintTolerance=${constraintTolerance} must be positive.`)
  const groups = integerAttribute(root, 'integrationForceGroups', where, invalid, -1)
  if (groups !== -1 && groups !== 0xffffffff) {
    throw new InvalidIntegratorError(`${where}: integrationForceGroups=${groups} selects only some force groups; the builtin engine integrates all of them. Remove the setting or run on --engine openmm.`)
  }

  if (type === 'VerletIntegrator') return { type, stepSizePs, constraintTolerance }
  const temperatureK = finiteAttribute(root, 'temperature', where, invalid)
  if (temperatureK < 0) throw new InvalidIntegratorError(`${where}: temperature=${temperatureK} K must not be negative.`)
  const frictionPerPs = finiteAttribute(root, 'friction', where, invalid)
  if (frictionPerPs < 0) throw new InvalidIntegratorError(`${where}: friction=${frictionPerPs} /ps must not be negative.`)
  const randomSeed = integerAttribute(root, 'randomSeed', where, invalid, 0)
  return { type: type as 'LangevinIntegrator' | 'LangevinMiddleIntegrator', stepSizePs, constraintTolerance, temperatureK, frictionPerPs, randomSeed }
}
