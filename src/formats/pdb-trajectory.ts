/**
 * Multi-model PDB as a trajectory: one MODEL per frame, read and written
 * with the engine's PDB reader and writer (OpenMM's layout).
 */
import { readPdb } from '../engine/pdb/read-pdb.ts'
import { writePdb } from '../engine/pdb/write-pdb.ts'
import type { BoxVectors } from '../engine/system.ts'
import type { Topology } from '../engine/topology.ts'

export interface PdbTrajectory {
  readonly topology: Topology
  /** Per model: positions nm (3N) and the file's box (CRYST1, the same for every model), or null. */
  readonly frames: Array<{ positionsNm: Float32Array, box: BoxVectors | null }>
}

/** Reads every MODEL of a PDB (a file without MODEL records is one frame). Throws PdbParseError. */
export function readPdbTrajectory (text: string): PdbTrajectory {
  const structure = readPdb(text, { maxPdbBytes: Math.max(text.length + 1, 1) })
  return {
    topology: structure.topology,
    frames: structure.models.map(model => ({ positionsNm: Float32Array.from(model), box: structure.box }))
  }
}

/** PDB text with one MODEL per frame (positions nm; box of the first frame as CRYST1). */
export function writePdbTrajectory (topology: Topology, frames: Iterable<{ positionsNm: ArrayLike<number>, box: BoxVectors | null }>): string {
  return writePdb(topology, frames)
}
