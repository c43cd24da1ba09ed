/**
 * The chunks the Ewald/PME direct-space pair loop is cut into after each
 * neighbour-list build, so that the calling thread and a helper thread can
 * share it out as they go (whoever is free takes the next
 * chunk: a thread slowed by other work on the machine holds the other up
 * for one small chunk at most) while the results stay the same bits whoever
 * took which chunk: each chunk adds its forces into its own slice of
 * `force` and its energies into its own slots, and `sum` adds the chunks
 * in order. (The reaction-field loop keeps a fixed half-and-half split
 * instead: measured in an interleaved A/B, these chunks cost its cheaper
 * pairs 9% on one thread and gained nothing on two.)
 *
 * Chunk bounds depend on the list only, never on threads or timing. Sizes
 * decrease linearly (chunk c ends at the fraction 1 - (1 - (c+1)/K)^2 of the
 * pairs), so the last ones are small.
 *
 * @example
 * const chunks = new PairChunks(shared)
 * if (chunks.forBuild !== list.buildCount) chunks.refresh(list)
 * chunks.resetTicket()
 * ... both threads run the kernel's chunk function with chunks.ticket, chunks.home, ... ...
 * const energy = chunks.sum(list.imageAtom, forcesOut)
 */
import { homeIndexAtPair, type NeighborList } from './neighbor-list.ts'
import { sharedFloat64, sharedInt32 } from './parallel-pairs.ts'

/** About one chunk per this many listed pairs, at most MAX_PAIR_CHUNKS. */
const PAIRS_PER_CHUNK = 60_000
const MAX_PAIR_CHUNKS = 16

export class PairChunks {
  /** Number of chunks of the current list. */
  count = 0
  /** Home bounds: chunk c covers homes [home[c], home[c + 1]). */
  readonly home: Int32Array
  /** Images chunk c can touch: [imageLow[c], imageHigh[c]). */
  readonly imageLow: Int32Array
  readonly imageHigh: Int32Array
  /** Per chunk, forces per image (kJ/mol/nm, 3 per image), `stride` numbers apart. */
  force: Float64Array = new Float64Array(0)
  stride = 0
  /** Per chunk [LJ, Coulomb] energies, kJ/mol. */
  readonly energy: Float64Array
  /** [next chunk, image positions claimed, image positions written] (see fillImagePositionsOnce); zeroed by resetTicket. */
  readonly ticket: Int32Array
  /** The neighbour-list build these chunks are for. */
  forBuild = -1
  private readonly shared: boolean

  /** `shared`: arrays in SharedArrayBuffers, for a helper thread. */
  constructor (shared: boolean) {
    this.shared = shared
    this.home = shared ? sharedInt32(MAX_PAIR_CHUNKS + 1) : new Int32Array(MAX_PAIR_CHUNKS + 1)
    this.imageLow = shared ? sharedInt32(MAX_PAIR_CHUNKS) : new Int32Array(MAX_PAIR_CHUNKS)
    this.imageHigh = shared ? sharedInt32(MAX_PAIR_CHUNKS) : new Int32Array(MAX_PAIR_CHUNKS)
    this.energy = shared ? sharedFloat64(2 * MAX_PAIR_CHUNKS) : new Float64Array(2 * MAX_PAIR_CHUNKS)
    this.ticket = shared ? sharedInt32(3) : new Int32Array(3)
  }

  /** Chunk bounds and touched image ranges for `list` (call after each build). */
  refresh (list: NeighborList): void {
    const homeCount = list.particleCount
    const count = Math.max(1, Math.min(MAX_PAIR_CHUNKS, Math.round(list.pairCount / PAIRS_PER_CHUNK)))
    const chunkHome = this.home
    chunkHome[0] = 0
    for (let c = 1; c < count; c++) {
      const remaining = 1 - c / count
      chunkHome[c] = homeIndexAtPair(list.start, homeCount, Math.round(list.pairCount * (1 - remaining * remaining)))
    }
    chunkHome[count] = homeCount
    const { homeImage, start, neighbors } = list
    for (let c = 0; c < count; c++) {
      let low = list.imageCount
      let high = 0
      for (let h = chunkHome[c]; h < chunkHome[c + 1]; h++) {
        const si = homeImage[h]
        if (si < low) low = si
        if (si > high) high = si
        for (let k = start[h]; k < start[h + 1]; k++) {
          const s = neighbors[k]
          if (s < low) low = s
          if (s > high) high = s
        }
      }
      this.imageLow[c] = low < high + 1 ? low : 0
      this.imageHigh[c] = low < high + 1 ? high + 1 : 0
    }
    this.count = count
    if (this.force.length < count * 3 * list.imageCount) {
      const capacity = 3 * Math.ceil(list.imageCount * 1.25)
      this.force = this.shared ? sharedFloat64(count * capacity) : new Float64Array(count * capacity)
      this.stride = capacity
    } else {
      this.stride = Math.floor(this.force.length / count)
    }
    this.forBuild = list.buildCount
  }

  /** Zeroes the ticket before an evaluation. */
  resetTicket (): void {
    this.ticket.fill(0)
  }

  /** Adds the chunks' forces, in chunk order, into forcesOut (per atom, via `imageAtom`); returns their energy (kJ/mol). */
  sum (imageAtom: Int32Array, forcesOut: Float64Array): number {
    const force = this.force
    const energies = this.energy
    let energy = 0
    for (let c = 0; c < this.count; c++) {
      energy += energies[2 * c] + energies[2 * c + 1]
      const offset = c * this.stride
      const high = this.imageHigh[c]
      for (let s = this.imageLow[c]; s < high; s++) {
        const a3 = 3 * imageAtom[s]
        const s3 = offset + 3 * s
        forcesOut[a3] += force[s3]
        forcesOut[a3 + 1] += force[s3 + 1]
        forcesOut[a3 + 2] += force[s3 + 2]
      }
    }
    return energy
  }
}
