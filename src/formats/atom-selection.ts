/**
 * Atom selections for trajectory output (`mdswarm submit --keep`): which
 * atoms of the PDB a job's frames keep.
 *
 *   protein      every residue that is not water or a monatomic ion (so a
 *                ligand counts as "protein": it is what one analyses)
 *   all          every atom
 *   0-21,30      0-based atom indices and inclusive ranges, comma-separated
 *
 * @example
 * const keep = selectAtoms('protein', readPdb(text).topology)   // sorted, unique indices
 * const kept = subsetTopology(topology, keep)                     // topology of the kept atoms
 */
import type { Topology } from '../engine/topology.ts'

/** A --keep expression that cannot be read or selects nothing. */
export class AtomSelectionError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'AtomSelectionError'
  }
}

/** Residue names of water models in the PDBs of common tools (OpenMM, AMBER, CHARMM, GROMACS). */
export const WATER_RESIDUES: ReadonlySet<string> = new Set(['HOH', 'WAT', 'SOL', 'H2O', 'DOD', 'TIP', 'TIP3', 'TIP4', 'TIP5', 'TP3', 'T3P', 'T4P', 'T5P', 'SPC', 'SPCE', 'TIP3P', 'TIP4P', 'OPC'])

/** Residue names of monatomic ions. */
export const ION_RESIDUES: ReadonlySet<string> = new Set([
  'NA', 'NA+', 'SOD', 'K', 'K+', 'POT', 'LI', 'LI+', 'RB', 'CS', 'CL', 'CL-', 'CLA', 'BR', 'I', 'F', 'IOD',
  'MG', 'MG2', 'CA', 'CAL', 'ZN', 'ZN2', 'MN', 'FE', 'FE2', 'CU', 'CO', 'NI', 'CD', 'SR', 'BA'
])

/** Whether residue `name` (case-insensitive) is water or a monatomic ion. */
export function isSolventResidue (name: string): boolean {
  const upper = name.trim().toUpperCase()
  return WATER_RESIDUES.has(upper) || ION_RESIDUES.has(upper)
}

/**
 * The atoms an expression selects in `topology`: sorted, each once.
 * Throws AtomSelectionError for unreadable expressions, out-of-range
 * indices or an empty result.
 */
export function selectAtoms (expression: string, topology: Topology): number[] {
  const text = expression.trim()
  const lower = text.toLowerCase()
  let selected: number[]
  if (lower === 'all') {
    selected = Array.from({ length: topology.atomCount }, (_, i) => i)
  } else if (lower === 'protein') {
    selected = []
    for (let i = 0; i < topology.atomCount; i++) if (!isSolventResidue(topology.residueNames[i])) selected.push(i)
    if (selected.length === 0) throw new AtomSelectionError('--keep protein selects nothing: every residue in the PDB is water or an ion.')
  } else {
    selected = indexList(text, topology.atomCount)
  }
  return selected
}

/** "0-21,30" → [0, 1, …, 21, 30] (sorted, unique), checked against the atom count. */
function indexList (text: string, atomCount: number): number[] {
  if (!/^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$/.test(text)) {
    throw new AtomSelectionError(`Cannot read --keep '${text}': use 'protein', 'all', or 0-based atom indices and ranges such as 0-21,30.`)
  }
  const chosen = new Uint8Array(atomCount)
  for (const part of text.split(',')) {
    const [from, to] = part.split('-').map((value) => Number(value.trim()))
    const last = to ?? from
    if (last < from) throw new AtomSelectionError(`--keep range ${from}-${last} runs backwards; write ${last}-${from}.`)
    if (last >= atomCount) throw new AtomSelectionError(`--keep names atom ${last}, but the PDB has atoms 0 to ${atomCount - 1}.`)
    chosen.fill(1, from, last + 1)
  }
  const selected: number[] = []
  for (let i = 0; i < atomCount; i++) if (chosen[i] === 1) selected.push(i)
  return selected
}

/** The topology of the atoms `indices` (in that order). */
export function subsetTopology (topology: Topology, indices: ArrayLike<number>): Topology {
  const pick = <T>(values: ArrayLike<T>): T[] => Array.from({ length: indices.length }, (_, i) => values[indices[i]])
  return {
    atomCount: indices.length,
    atomNames: pick(topology.atomNames),
    elements: pick(topology.elements),
    residueNames: pick(topology.residueNames),
    residueNumbers: Int32Array.from(pick(topology.residueNumbers)),
    chainIds: pick(topology.chainIds),
    isHetatm: Uint8Array.from(pick(topology.isHetatm))
  }
}
