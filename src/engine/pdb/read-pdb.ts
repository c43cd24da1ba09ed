/**
 * PDB reader (fixed columns, as wwPDB and OpenMM's PDBFile): ATOM/HETATM
 * records, CRYST1 → reduced-form box (nm), several MODEL/ENDMDL blocks (all
 * with the same atoms), TER and END. Coordinates are converted Å → nm.
 * The topology comes from the first model; like OpenMM, only the first
 * alternate location of an atom is kept.
 */
import { InvalidBoxError, InvalidCoordinatesError, PdbParseError } from '../errors.ts'
import { boxFromLengthsAndAngles } from '../box.ts'
import { exceedsByteLimit, resolveLimits, type InputLimits } from '../limits.ts'
import type { BoxVectors } from '../system.ts'
import type { Topology } from '../topology.ts'
import { elementFromSymbol, guessElementFromAtomName } from './elements.ts'

export interface PdbStructure {
  topology: Topology
  /** Positions of each model, nm, 3N each. */
  models: Float64Array[]
  /** From CRYST1, reduced form, nm; null when absent (or the 1 Å placeholder cell). */
  box: BoxVectors | null
}

const ANGSTROM_TO_NM = 0.1
/** What OpenMM writes in columns 77-78 for a particle without an element. */
const EXTRA_PARTICLE = 'EP'
/** Record names are upper-case letters and digits; anything else means this is not a PDB file. */
const RECORD_NAME = /^[A-Z][A-Z0-9]{0,5}$/

/** Per-atom fields of the first model, grown as atoms are read. */
class TopologyBuilder {
  atomNames: string[] = []
  elementColumns: string[] = []
  residueNames: string[] = []
  residueNumbers: number[] = []
  insertionCodes: string[] = []
  chainIds: string[] = []
  isHetatm: number[] = []

  build (): Topology {
    const atomCount = this.atomNames.length
    const elements = this.elementColumns.map(elementFromSymbol)
    // Residue runs, for OpenMM's "CA in a one-atom residue is calcium" rule.
    let start = 0
    for (let i = 1; i <= atomCount; i++) {
      if (i < atomCount && this.sameResidue(i - 1, i)) continue
      for (let j = start; j < i; j++) {
        // 'EP' marks an extra particle (virtual site) in OpenMM's files: no element, no guess.
        if (elements[j] === '' && this.elementColumns[j].trim() !== EXTRA_PARTICLE) elements[j] = guessElementFromAtomName(this.atomNames[j], i - start)
      }
      start = i
    }
    return {
      atomCount,
      atomNames: this.atomNames,
      elements,
      residueNames: this.residueNames,
      residueNumbers: Int32Array.from(this.residueNumbers),
      chainIds: this.chainIds,
      isHetatm: Uint8Array.from(this.isHetatm),
    }
  }

  sameResidue (i: number, j: number): boolean {
    return this.residueNumbers[i] === this.residueNumbers[j] && this.chainIds[i] === this.chainIds[j] &&
      this.residueNames[i] === this.residueNames[j] && this.insertionCodes[i] === this.insertionCodes[j]
  }
}

/** Parses PDB text. Throws PdbParseError (with the line number), InvalidCoordinatesError (NaN/inf), InvalidBoxError. */
export function readPdb (text: string, limits?: Partial<InputLimits>): PdbStructure {
  const resolved = resolveLimits(limits)
  if (typeof text !== 'string') throw new PdbParseError('The PDB must be text.')
  if (exceedsByteLimit(text, resolved.maxPdbBytes)) throw new PdbParseError(`The PDB is larger than the limit of ${resolved.maxPdbBytes} bytes.`)
  const lines = text.split('\n')

  const topology = new TopologyBuilder()
  const models: Float64Array[] = []
  let box: BoxVectors | null = null
  let coordinates: number[] = []
  let modelStartLine = 0
  let inModel = false
  // Alternate locations: keys (residue + atom name) of atoms kept in the current residue.
  let residueKey = ''
  let atomsInResidue = new Set<string>()
  // Residue numbers: decimal, then hexadecimal once one fails to parse (OpenMM's convention above 9999).
  let hexResidueNumbers = false
  let previousResidueNumber = 0

  const finishModel = (lineNumber: number): void => {
    if (coordinates.length === 0) return
    const atomCount = coordinates.length / 3
    if (models.length === 0) {
      if (atomCount > resolved.maxAtoms) throw new PdbParseError(`The PDB has ${atomCount} atoms, more than this node's limit of ${resolved.maxAtoms}.`)
    } else if (atomCount !== models[0].length / 3) {
      throw new PdbParseError(`model ${models.length + 1} (from line ${modelStartLine}) has ${atomCount} atoms but model 1 has ${models[0].length / 3}; every model must have the same atoms.`, lineNumber)
    }
    models.push(Float64Array.from(coordinates))
    coordinates = []
    residueKey = ''
    atomsInResidue = new Set()
    hexResidueNumbers = false
  }

  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1
    let line = lines[index]
    if (line.endsWith('\r')) line = line.slice(0, -1)
    if (line.trim() === '') continue
    const record = line.slice(0, 6).trimEnd()
    if (!RECORD_NAME.test(record)) {
      throw new PdbParseError(`"${line.slice(0, 20)}" is not a PDB record; is this a PDB file?`, lineNumber)
    }
    switch (record) {
      case 'ATOM':
      case 'HETATM': {
        if (line.length < 54) throw new PdbParseError(`${record} record is too short (${line.length} characters; coordinates need columns 31-54).`, lineNumber)
        const name = line.slice(12, 16)
        const altLoc = line[16]
        let residueName = line.slice(17, 20)
        if (line[20] !== undefined && line[20] !== ' ' && residueName.trim().length === 3) residueName += line[20]
        const chainId = line[21] ?? ' '
        const residueField = line.slice(22, 26)
        const insertionCode = line[26] ?? ' '
        const key = `${chainId}|${residueField}|${insertionCode}|${residueName}`
        if (key !== residueKey) {
          residueKey = key
          atomsInResidue = new Set()
        }
        if (atomsInResidue.has(name) && altLoc !== ' ') continue // another location of an atom already read
        atomsInResidue.add(name)
        coordinates.push(coordinate(line, 30, 'x', lineNumber), coordinate(line, 38, 'y', lineNumber), coordinate(line, 46, 'z', lineNumber))
        if (models.length > 0) continue
        let residueNumber = hexResidueNumbers ? parseInt(residueField, 16) : parseDecimal(residueField)
        if (!Number.isInteger(residueNumber) && !hexResidueNumbers && /^\s*[0-9a-fA-F]+\s*$/.test(residueField)) {
          hexResidueNumbers = true
          residueNumber = parseInt(residueField, 16)
        }
        if (!Number.isInteger(residueNumber)) {
          // VMD writes **** when it runs out of digits: continue the residue, or start the next one.
          const last = topology.atomNames.length - 1
          const sameResidue = last >= 0 && topology.residueNames[last] === residueName.trim() && topology.chainIds[last] === chainId && !atomsInResidueBefore(topology, last, name.trim())
          residueNumber = sameResidue ? previousResidueNumber : previousResidueNumber + 1
        }
        previousResidueNumber = residueNumber
        topology.atomNames.push(name.trim())
        topology.elementColumns.push(line.slice(76, 78))
        topology.residueNames.push(residueName.trim())
        topology.residueNumbers.push(residueNumber)
        topology.insertionCodes.push(insertionCode)
        topology.chainIds.push(chainId)
        topology.isHetatm.push(record === 'HETATM' ? 1 : 0)
        break
      }
      case 'CRYST1':
        box = readCryst1(line, lineNumber)
        break
      case 'MODEL':
        if (inModel) throw new PdbParseError('MODEL inside another MODEL (missing ENDMDL).', lineNumber)
        finishModel(lineNumber)
        inModel = true
        modelStartLine = lineNumber
        break
      case 'ENDMDL':
        finishModel(lineNumber)
        inModel = false
        break
      case 'TER':
        residueKey = ''
        hexResidueNumbers = false
        break
      case 'END':
        index = lines.length
        break
      default:
        break // HEADER, REMARK, CONECT, ANISOU, ...: not needed
    }
  }
  finishModel(lines.length)
  if (models.length === 0) throw new PdbParseError('The PDB has no ATOM or HETATM records.')
  return { topology: topology.build(), models, box }
}

/** True when an atom named `name` already appears in the residue that ends at `last`. */
function atomsInResidueBefore (topology: TopologyBuilder, last: number, name: string): boolean {
  for (let i = last; i >= 0 && topology.sameResidue(i, last); i--) {
    if (topology.atomNames[i] === name) return true
  }
  return false
}

function parseDecimal (field: string): number {
  const trimmed = field.trim()
  return /^[+-]?[0-9]+$/.test(trimmed) ? Number(trimmed) : NaN
}

/** An 8-column coordinate field (Å) starting at 0-based column `start`, in nm. */
function coordinate (line: string, start: number, axis: string, lineNumber: number): number {
  const field = line.slice(start, start + 8)
  const value = parseFixedNumber(field)
  if (Number.isFinite(value)) return value * ANGSTROM_TO_NM
  if (/^\s*[+-]?(nan|inf|infinity)\s*$/i.test(field)) {
    throw new InvalidCoordinatesError(`PDB line ${lineNumber}: the ${axis} coordinate is ${field.trim()}; every coordinate must be a finite number.`)
  }
  throw new PdbParseError(`the ${axis} coordinate "${field}" (columns ${start + 1}-${start + 8}) is not a number.`, lineNumber)
}

/** A decimal number in a fixed-width field; NaN when blank or malformed. */
function parseFixedNumber (field: string): number {
  const trimmed = field.trim()
  if (trimmed === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) return NaN
  return Number(trimmed)
}

/** CRYST1 a b c (Å) alpha beta gamma (degrees) → reduced box in nm, or null for the 1 Å placeholder. */
function readCryst1 (line: string, lineNumber: number): BoxVectors | null {
  const fields = [[6, 15], [15, 24], [24, 33], [33, 40], [40, 47], [47, 54]].map(([from, to]) => parseFixedNumber(line.slice(from, to)))
  if (fields.some(value => !Number.isFinite(value))) {
    throw new PdbParseError('CRYST1 record needs six numbers: a, b, c (Å, columns 7-33) and alpha, beta, gamma (degrees, columns 34-54).', lineNumber)
  }
  const [a, b, c, alpha, beta, gamma] = fields
  // Cryo-EM and NMR entries carry a 1 Å x 1 Å x 1 Å cell that means "no crystal cell".
  if (a === 1 && b === 1 && c === 1) return null
  try {
    return boxFromLengthsAndAngles(a * ANGSTROM_TO_NM, b * ANGSTROM_TO_NM, c * ANGSTROM_TO_NM, alpha, beta, gamma)
  } catch (error) {
    if (error instanceof InvalidBoxError) throw new InvalidBoxError(`PDB line ${lineNumber} (CRYST1): ${error.message}`)
    throw error
  }
}
