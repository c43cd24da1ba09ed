/**
 * A force kernel does the math for one Force of a System. Kernels are made
 * once per Context (`createKernels` in `./index.ts`) and reused every step:
 * they allocate in their constructor, never per step or per pair.
 */
import type { BoxVectors } from '../system.ts'

/** Number of OpenMM force groups. */
export const FORCE_GROUP_COUNT = 32
/** Bit mask selecting every force group. */
export const ALL_FORCE_GROUPS = 0xffffffff

export interface ForceKernel {
  /** The Force's `type`, for diagnostics. */
  readonly forceType: string
  /**
   * Adds this force's forces (kJ/mol/nm) into `forcesOut` (length 3N) for
   * the groups selected by `groupsMask` (bit g = group g), and adds its
   * energies (kJ/mol) into `energyByGroup[group]` (length 32).
   * `positionsNm` has length 3N; `box` is the current periodic box or null.
   */
  compute (positionsNm: Float64Array, box: BoxVectors | null, forcesOut: Float64Array,
    energyByGroup: Float64Array, groupsMask: number): void
  /** Kernels with a neighbour list: rebuild it at the next evaluation (see NeighborList.restart). */
  restartNeighborList? (): void
}
