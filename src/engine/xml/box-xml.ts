/** `<PeriodicBoxVectors>` as System and State XML write it. */
import type { BoxVectors } from '../system.ts'
import { finiteAttribute, type ErrorFactory } from './attributes.ts'
import { childElement, type XmlElement } from './safe-xml.ts'

const VECTOR_NAMES = ['A', 'B', 'C'] as const

/** Reads `<PeriodicBoxVectors><A x y z/><B .../><C .../>` into a Float64Array(9), nm, without reducing it. */
export function readBoxVectors (element: XmlElement, where: string, fail: ErrorFactory): BoxVectors {
  const box = new Float64Array(9)
  for (let v = 0; v < 3; v++) {
    const name = VECTOR_NAMES[v]
    const vector = childElement(element, name)
    if (vector === undefined) throw fail(`${where}: missing box vector <${name}>.`)
    box[3 * v] = finiteAttribute(vector, 'x', `${where} <${name}>`, fail)
    box[3 * v + 1] = finiteAttribute(vector, 'y', `${where} <${name}>`, fail)
    box[3 * v + 2] = finiteAttribute(vector, 'z', `${where} <${name}>`, fail)
  }
  return box
}
