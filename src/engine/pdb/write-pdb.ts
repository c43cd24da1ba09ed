/**
 * PDB writer in the layout of OpenMM's PDBFile (which OpenMM, mdtraj, VMD
 * and PyMOL read back): CRYST1 from the first frame's box, one MODEL/ENDMDL
 * block per frame when there is more than one, TER after each chain, END.
 * Positions are nm and written in Å with 3 decimals (OpenMM's _format_83).
 */
import { InvalidCoordinatesError, ParticleCountMismatchError } from '../errors.ts'
import { boxLengthsAndAngles } from '../box.ts'
import type { BoxVectors } from '../system.ts'
import type { Topology } from '../topology.ts'

const NM_TO_ANGSTROM = 10

export interface PdbFrame {
  /** Positions, nm, length 3N. */
  positionsNm: ArrayLike<number>
  /** Periodic box, nm, or null. */
  box: BoxVectors | null
}

/** PDB text for `frames` (at least one) of the atoms in `topology`. */
export function writePdb (topology: Topology, frames: Iterable<PdbFrame>): string {
  const all = Array.from(frames)
  if (all.length === 0) throw new InvalidCoordinatesError('A PDB needs at least one frame of positions.')
  const out: string[] = ['REMARK   1 CREATED WITH MDSWARM']
  const box = all.find(frame => frame.box !== null)?.box ?? null
  if (box !== null) out.push(cryst1(box))
  const atomLines = atomLineTemplates(topology)
  const multiModel = all.length > 1
  all.forEach((frame, frameIndex) => {
    if (frame.positionsNm.length !== 3 * topology.atomCount) {
      throw new ParticleCountMismatchError(`Frame ${frameIndex} has ${frame.positionsNm.length / 3} positions but the topology has ${topology.atomCount} atoms.`)
    }
    if (multiModel) out.push(`MODEL     ${String(frameIndex + 1).padStart(4)}`)
    writeModel(out, atomLines, frame.positionsNm)
    if (multiModel) out.push('ENDMDL')
  })
  out.push('END')
  return out.join('\n') + '\n'
}

/**
 * Per atom: the text before the coordinates (columns 1-30) and after them
 * (55-80), or a TER line (`ter` set) after the last atom of a chain. Made
 * once and reused for every model.
 */
interface AtomLine { head: string, tail: string, ter?: string }

function atomLineTemplates (topology: Topology): AtomLine[] {
  const lines: AtomLine[] = []
  let serial = 1
  for (let i = 0; i < topology.atomCount; i++) {
    const record = topology.isHetatm[i] === 1 ? 'HETATM' : 'ATOM  '
    const element = topology.elements[i] ?? ''
    const name = topology.atomNames[i] ?? ''
    const atomName = name.length < 4 && /^[A-Za-z]/.test(name) && element.length < 2 ? ` ${name}` : name.slice(0, 4)
    const residueName = residueNameField(topology.residueNames[i] ?? '')
    const chainId = (topology.chainIds[i] ?? 'A').slice(0, 1) || ' '
    const residueNumber = formatIndex(topology.residueNumbers[i], 4)
    lines.push({
      head: `${record}${formatIndex(serial, 5)} ${atomName.padEnd(4)} ${residueName}${chainId}${residueNumber}    `,
      tail: `  1.00  0.00          ${element.padStart(2)}  `,
    })
    serial++
    const lastOfChain = i === topology.atomCount - 1 || topology.chainIds[i + 1] !== topology.chainIds[i]
    if (lastOfChain) {
      lines.push({ head: '', tail: '', ter: `TER   ${formatIndex(serial, 5)}      ${residueName}${chainId}${residueNumber}` })
      serial++
    }
  }
  return lines
}

/** Columns 18-21: a 3-letter name right-justified then a blank, or a 4-letter name (OpenMM reads column 21 as its 4th letter). */
function residueNameField (name: string): string {
  if (name.length >= 4) return name.slice(0, 4)
  return name.padStart(3) + ' '
}

function writeModel (out: string[], atomLines: AtomLine[], positionsNm: ArrayLike<number>): void {
  let atom = 0
  for (const line of atomLines) {
    if (line.ter !== undefined) { out.push(line.ter); continue }
    const x = positionsNm[3 * atom] * NM_TO_ANGSTROM
    const y = positionsNm[3 * atom + 1] * NM_TO_ANGSTROM
    const z = positionsNm[3 * atom + 2] * NM_TO_ANGSTROM
    out.push(line.head + format83(x, atom) + format83(y, atom) + format83(z, atom) + line.tail)
    atom++
  }
}

/** OpenMM's _format_83: 8 columns, 3 decimals, fewer when the number is large; refuses what cannot fit. */
function format83 (valueAngstrom: number, atom: number): string {
  if (!Number.isFinite(valueAngstrom)) {
    throw new InvalidCoordinatesError(`Atom ${atom} has position ${valueAngstrom}; a PDB can hold only finite coordinates. The simulation may have blown up.`)
  }
  if (valueAngstrom > -999.999 && valueAngstrom < 9999.999) return valueAngstrom.toFixed(3).padStart(8)
  if (valueAngstrom > -9999999 && valueAngstrom < 99999999) return valueAngstrom.toFixed(3).slice(0, 8)
  throw new InvalidCoordinatesError(`Atom ${atom} coordinate ${valueAngstrom} Å does not fit the PDB's 8-column field; write DCD instead.`)
}

/** OpenMM's _formatIndex: decimal while it fits, then hexadecimal continuing from A000.../A0000. */
function formatIndex (index: number, places: number): string {
  if (index < 10 ** places) return String(index).padStart(places).slice(-places)
  const shifted = (index - 10 ** places + 10 * 16 ** (places - 1)) % 16 ** places
  return shifted.toString(16).toUpperCase().padStart(places)
}

function cryst1 (box: BoxVectors): string {
  const { aNm, bNm, cNm, alphaDeg, betaDeg, gammaDeg } = boxLengthsAndAngles(box)
  const f = (value: number, width: number, decimals: number): string => value.toFixed(decimals).padStart(width)
  return `CRYST1${f(aNm * NM_TO_ANGSTROM, 9, 3)}${f(bNm * NM_TO_ANGSTROM, 9, 3)}${f(cNm * NM_TO_ANGSTROM, 9, 3)}${f(alphaDeg, 7, 2)}${f(betaDeg, 7, 2)}${f(gammaDeg, 7, 2)} P 1           1 `
}
