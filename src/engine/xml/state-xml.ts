/**
 * OpenMM State XML → `SimulationState`:
 * `<State time="0" stepCount="0" type="State" version="1">` with
 * `<PeriodicBoxVectors>`, `<Positions><Position x y z/>` (nm) and optional
 * `<Velocities><Velocity x y z/>` (nm/ps). Energies, Forces and Parameters
 * are ignored.
 */
import { InvalidBoxError, InvalidCoordinatesError, ParticleCountMismatchError } from '../errors.ts'
import { reduceBox } from '../box.ts'
import { resolveLimits, type InputLimits } from '../limits.ts'
import type { SimulationState } from '../state.ts'
import { finiteAttribute, parseNumber, type ErrorFactory } from './attributes.ts'
import { readBoxVectors } from './box-xml.ts'
import { childElement, parseXml, type XmlElement } from './safe-xml.ts'

const invalidCoordinates: ErrorFactory = (message) => new InvalidCoordinatesError(message)
const invalidBox: ErrorFactory = (message) => new InvalidBoxError(message)

/** Parses OpenMM State XML. Throws XmlParseError, InvalidCoordinatesError, InvalidBoxError, ParticleCountMismatchError. */
export function parseStateXml (xml: string, limits?: Partial<InputLimits>): SimulationState {
  const resolved = resolveLimits(limits)
  const root = parseXml(xml, { maxBytes: resolved.maxXmlBytes, what: 'State XML' })
  if (root.name !== 'State') {
    throw new InvalidCoordinatesError(`Expected OpenMM State XML (root element <State>), found <${root.name}>. Was another file given in its place?`)
  }
  const timePs = finiteAttribute(root, 'time', 'State XML', invalidCoordinates, 0)
  const step = finiteAttribute(root, 'stepCount', 'State XML', invalidCoordinates, 0)
  if (!(Number.isInteger(step) && step >= 0)) throw new InvalidCoordinatesError(`State XML: stepCount=${step} must be a whole number >= 0.`)

  const positionsElement = childElement(root, 'Positions')
  if (positionsElement === undefined) throw new InvalidCoordinatesError('State XML has no <Positions>; save the state with getPositions=True.')
  const positionsNm = readVectors(positionsElement, 'Position', 'position', resolved.maxAtoms)
  const particleCount = positionsNm.length / 3
  if (particleCount === 0) throw new InvalidCoordinatesError('State XML has no positions.')

  const velocitiesElement = childElement(root, 'Velocities')
  let velocitiesNmPerPs: Float64Array | null = null
  if (velocitiesElement !== undefined) {
    velocitiesNmPerPs = readVectors(velocitiesElement, 'Velocity', 'velocity', resolved.maxAtoms)
    if (velocitiesNmPerPs.length !== positionsNm.length) {
      throw new ParticleCountMismatchError(`State XML has ${particleCount} positions but ${velocitiesNmPerPs.length / 3} velocities.`)
    }
  }

  const boxElement = childElement(root, 'PeriodicBoxVectors')
  const box = boxElement === undefined ? null : reduceBox(readBoxVectors(boxElement, 'State XML <PeriodicBoxVectors>', invalidBox))
  return { particleCount, positionsNm, velocitiesNmPerPs, box, timePs, step }
}

/** Reads `<Position x y z/>`-style children into a flat Float64Array(3N); NaN or infinity → InvalidCoordinatesError. */
function readVectors (list: XmlElement, itemName: string, what: string, maxAtoms: number): Float64Array {
  const n = list.children.length
  if (n > maxAtoms) throw new InvalidCoordinatesError(`State XML has ${n} ${what} entries, more than this node's limit of ${maxAtoms} particles.`)
  const out = new Float64Array(3 * n)
  for (let i = 0; i < n; i++) {
    const item = list.children[i]
    if (item.name !== itemName) throw new InvalidCoordinatesError(`State XML: unexpected <${item.name}> where <${itemName}> was expected.`)
    const a = item.attributes
    const x = parseNumber(a.x); const y = parseNumber(a.y); const z = parseNumber(a.z)
    if (!(Number.isFinite(x) && Number.isFinite(y) && Number.isFinite(z))) {
      throw new InvalidCoordinatesError(`State XML ${what} of particle ${i} is (${a.x}, ${a.y}, ${a.z}); every ${what} must be a finite number. The state may come from a simulation that blew up.`)
    }
    out[3 * i] = x; out[3 * i + 1] = y; out[3 * i + 2] = z
  }
  return out
}
