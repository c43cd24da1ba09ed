/**
 * Per-atom identity (names, residues, chains, elements) as read from a PDB,
 * for writing trajectories and selecting atoms. The System has no names;
 * when no PDB exists, `genericTopology` invents neutral ones.
 *
 * A residue is a run of consecutive atoms with the same chain id, residue
 * number and residue name.
 */

export interface Topology {
  atomCount: number
  /** Atom name as in the PDB (trimmed), e.g. 'CA'. */
  atomNames: string[]
  /** Element symbol with normal capitalisation ('C', 'Fe'), or '' when unknown. */
  elements: string[]
  /** Residue name per atom (trimmed), e.g. 'ALA', 'HOH'. */
  residueNames: string[]
  /** Residue number per atom as written in the PDB. */
  residueNumbers: Int32Array
  /** Chain identifier per atom (one character, may be ' '). */
  chainIds: string[]
  /** 1 when the atom came from a HETATM record. */
  isHetatm: Uint8Array
}

/** A topology of `atomCount` anonymous particles: atom 'X', one residue 'UNK' per atom, chain 'A'. */
export function genericTopology (atomCount: number): Topology {
  const residueNumbers = new Int32Array(atomCount)
  for (let i = 0; i < atomCount; i++) residueNumbers[i] = i + 1
  return {
    atomCount,
    atomNames: new Array<string>(atomCount).fill('X'),
    elements: new Array<string>(atomCount).fill(''),
    residueNames: new Array<string>(atomCount).fill('UNK'),
    residueNumbers,
    chainIds: new Array<string>(atomCount).fill('A'),
    isHetatm: new Uint8Array(atomCount).fill(1),
  }
}
