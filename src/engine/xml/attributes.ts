/**
 * Reading typed values out of XML attribute strings, with errors that name
 * the document part and the item ("HarmonicBondForce (force 2), bond 17:
 * attribute p2 ..."). Each reader takes the error class to throw, so the
 * same helpers serve System, Integrator and State XML.
 */
import type { XmlElement } from './safe-xml.ts'

export type ErrorFactory = (message: string) => Error

/**
 * Parses a decimal number as OpenMM writes it ('.5', '1e-05', '-3').
 * Returns NaN for a missing, empty or malformed value (Number('') would be 0).
 */
export function parseNumber (text: string | undefined): number {
  if (text === undefined) return NaN
  const value = +text
  if (value === 0 && text.trim() === '') return NaN
  return value
}

/** A finite number from attribute `name`, or `fallback` when absent (undefined fallback = required). */
export function finiteAttribute (element: XmlElement, name: string, where: string, fail: ErrorFactory, fallback?: number): number {
  const text = element.attributes[name]
  if (text === undefined) {
    if (fallback !== undefined) return fallback
    throw fail(`${where}: missing attribute ${name}.`)
  }
  const value = parseNumber(text)
  if (!Number.isFinite(value)) throw fail(`${where}: attribute ${name}="${text}" is not a finite number.`)
  return value
}

/** An integer from attribute `name`, or `fallback` when absent (undefined fallback = required). */
export function integerAttribute (element: XmlElement, name: string, where: string, fail: ErrorFactory, fallback?: number): number {
  const text = element.attributes[name]
  if (text === undefined) {
    if (fallback !== undefined) return fallback
    throw fail(`${where}: missing attribute ${name}.`)
  }
  const value = parseNumber(text)
  if (!Number.isInteger(value)) throw fail(`${where}: attribute ${name}="${text}" is not an integer.`)
  return value
}

/** A boolean as OpenMM writes it ('0'/'1', also 'true'/'false'), or `fallback` when absent. */
export function booleanAttribute (element: XmlElement, name: string, where: string, fail: ErrorFactory, fallback: boolean): boolean {
  const text = element.attributes[name]
  if (text === undefined) return fallback
  const t = text.trim().toLowerCase()
  if (t === 'true') return true
  if (t === 'false') return false
  const value = parseNumber(t)
  if (!Number.isInteger(value)) throw fail(`${where}: attribute ${name}="${text}" is not a boolean (0 or 1).`)
  return value !== 0
}
