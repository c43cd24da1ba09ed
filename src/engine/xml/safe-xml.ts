/**
 * Safe XML reading for inputs that arrive from the network: size-bounded,
 * no DTDs and no entities beyond XML's five predefined ones (&lt; &gt; &amp;
 * &quot; &apos;), well-formedness checked by fast-xml-parser's validator so a
 * truncated or malformed file gives XmlParseError with its line number.
 *
 * Attribute values stay strings; readers convert them (`./attributes.ts`).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { XmlParseError } from '../errors.ts'
import { exceedsByteLimit } from '../limits.ts'

/** One XML element: its tag name, attributes (raw strings) and child elements in document order. Text is dropped. */
export interface XmlElement {
  readonly name: string
  readonly attributes: Readonly<Record<string, string>>
  readonly children: readonly XmlElement[]
}

export interface SafeXmlOptions {
  /** Largest accepted document, bytes (UTF-8). */
  maxBytes: number
  /** What the document is, for messages: 'System XML', 'State XML'. */
  what: string
}

/** Deeper nesting than any OpenMM file has is refused (guards the converters' stacks). */
const MAX_DEPTH = 64

const ATTRIBUTES_KEY = ':@'

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Entities are decoded here instead (`decodeReferences`): only the five XML
  // predefined ones and numeric character references. The parser's own entity
  // pass doubles its running time.
  processEntities: false,
  trimValues: true,
})

type RawNode = Record<string, unknown>

/** Parses `xml` and returns its single root element; XmlParseError for anything unsafe or not well-formed. */
export function parseXml (xml: string, options: SafeXmlOptions): XmlElement {
  const { what } = options
  if (typeof xml !== 'string') throw new XmlParseError(`${what} must be text.`)
  if (exceedsByteLimit(xml, options.maxBytes)) {
    throw new XmlParseError(`${what} is larger than the limit of ${options.maxBytes} bytes.`)
  }
  const dtd = /<!\s*(DOCTYPE|ENTITY)/i.exec(xml)
  if (dtd !== null) {
    throw new XmlParseError(`${what} line ${lineOf(xml, dtd.index)}: document type declarations and entity definitions (<!${dtd[1].toUpperCase()}) are not accepted; OpenMM never writes them.`)
  }
  if (xml.trim() === '') throw new XmlParseError(`${what} is empty.`)
  const validation = XMLValidator.validate(xml, { allowBooleanAttributes: false })
  if (validation !== true) {
    const { msg, line } = validation.err
    throw new XmlParseError(`${what} is not well-formed XML (line ${line}): ${msg} Is the file truncated or corrupted?`)
  }
  let raw: unknown
  try {
    raw = parser.parse(xml)
  } catch (cause) {
    throw new XmlParseError(`${what} could not be parsed: ${(cause as Error).message}`, { cause })
  }
  const roots = (raw as RawNode[]).filter(node => elementName(node) !== undefined)
  if (roots.length !== 1) throw new XmlParseError(`${what} must have exactly one root element, found ${roots.length}.`)
  return convert(roots[0], elementName(roots[0]) as string, 1, what)
}

function elementName (node: RawNode): string | undefined {
  for (const key in node) {
    if (key !== ATTRIBUTES_KEY && key !== '#text' && key !== '#comment') return key
  }
  return undefined
}

const NO_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({})
const NO_CHILDREN: readonly XmlElement[] = Object.freeze([])

/**
 * Converts the parser's ordered form (`{ tag: children[], ':@': attributes }`)
 * to XmlElement. Recursion is bounded by MAX_DEPTH; leaves share one empty
 * children array (most elements are leaves: one per particle, bond, ...).
 */
function convert (raw: RawNode, name: string, depth: number, what: string): XmlElement {
  const attributes = (raw[ATTRIBUTES_KEY] as Record<string, string> | undefined) ?? NO_ATTRIBUTES
  for (const key in attributes) {
    const value = attributes[key]
    if (value.includes('&')) attributes[key] = decodeReferences(value, what)
  }
  const rawChildren = raw[name] as RawNode[] | undefined
  if (rawChildren === undefined || rawChildren.length === 0) return { name, attributes, children: NO_CHILDREN }
  if (depth >= MAX_DEPTH) throw new XmlParseError(`${what} nests elements more than ${MAX_DEPTH} deep; this is not an OpenMM file.`)
  const children: XmlElement[] = []
  for (let i = 0; i < rawChildren.length; i++) {
    const rawChild = rawChildren[i]
    const childName = elementName(rawChild)
    if (childName !== undefined) children.push(convert(rawChild, childName, depth + 1, what))
  }
  return { name, attributes, children }
}

const PREDEFINED_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }

/** Replaces &lt; &gt; &amp; &quot; &apos; and &#N; / &#xH; references; any other entity is an error. */
function decodeReferences (value: string, what: string): string {
  return value.replace(/&([^;&]*);?/g, (match, body: string) => {
    if (!match.endsWith(';')) throw new XmlParseError(`${what}: a bare '&' in an attribute value must be written &amp;.`)
    const predefined = PREDEFINED_ENTITIES[body]
    if (predefined !== undefined) return predefined
    const code = /^#x[0-9a-fA-F]+$/.test(body) ? parseInt(body.slice(2), 16) : /^#[0-9]+$/.test(body) ? parseInt(body.slice(1), 10) : NaN
    if (Number.isInteger(code) && code > 0 && code <= 0x10ffff) return String.fromCodePoint(code)
    throw new XmlParseError(`${what}: unknown entity &${body}; only &lt; &gt; &amp; &quot; &apos; are accepted.`)
  })
}

function lineOf (text: string, index: number): number {
  let line = 1
  for (let i = text.indexOf('\n'); i !== -1 && i < index; i = text.indexOf('\n', i + 1)) line++
  return line
}

/** The first child element called `name`, or undefined. */
export function childElement (element: XmlElement, name: string): XmlElement | undefined {
  for (const child of element.children) if (child.name === name) return child
  return undefined
}
