/**
 * Element symbols for PDB reading and writing, and OpenMM's rules for
 * guessing an element from an atom name when columns 77-78 are blank.
 */

const SYMBOLS = [
  'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al', 'Si', 'P', 'S', 'Cl', 'Ar',
  'K', 'Ca', 'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr',
  'Rb', 'Sr', 'Y', 'Zr', 'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I', 'Xe',
  'Cs', 'Ba', 'La', 'Ce', 'Pr', 'Nd', 'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu',
  'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir', 'Pt', 'Au', 'Hg', 'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn',
  'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U', 'Np', 'Pu', 'Am', 'Cm', 'Bk', 'Cf', 'Es', 'Fm', 'Md', 'No', 'Lr',
  'Rf', 'Db', 'Sg', 'Bh', 'Hs', 'Mt', 'Ds', 'Rg', 'Cn', 'Nh', 'Fl', 'Mc', 'Lv', 'Ts', 'Og',
  // Deuterium, as OpenMM's element table has it.
  'D',
]

const SYMBOL_BY_UPPER: ReadonlyMap<string, string> = new Map(SYMBOLS.map(symbol => [symbol.toUpperCase(), symbol]))

/** The element symbol with normal capitalisation for a PDB columns 77-78 entry (any case), or '' if not an element. */
export function elementFromSymbol (text: string): string {
  return SYMBOL_BY_UPPER.get(text.trim().toUpperCase()) ?? ''
}

/**
 * OpenMM PDBFile's guess from an atom name (used when columns 77-78 hold no
 * element): leading digits dropped; CL, NA, MG, BE, LI, K, ZN prefixes; CA
 * only for a one-atom residue (calcium ion, not C-alpha); otherwise the
 * first letter. '' when nothing fits.
 */
export function guessElementFromAtomName (atomName: string, residueAtomCount: number): string {
  let upper = atomName.trim().toUpperCase()
  while (upper.length > 1 && upper[0] >= '0' && upper[0] <= '9') upper = upper.slice(1)
  if (upper.startsWith('CL')) return 'Cl'
  if (upper.startsWith('NA')) return 'Na'
  if (upper.startsWith('MG')) return 'Mg'
  if (upper.startsWith('BE')) return 'Be'
  if (upper.startsWith('LI')) return 'Li'
  if (upper.startsWith('K')) return 'K'
  if (upper.startsWith('ZN')) return 'Zn'
  if (residueAtomCount === 1 && upper.startsWith('CA')) return 'Ca'
  return elementFromSymbol(upper.slice(0, 1))
}
