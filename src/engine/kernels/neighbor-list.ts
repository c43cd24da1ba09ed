/**
 * Verlet neighbour list with a skin, built with cell lists, for the
 * nonbonded pair loop. Half list in CSR form over *images*.
 *
 * Periodic boxes (OpenMM reduced form, rectangular or triclinic): at each
 * build every atom is wrapped into the brick [0,ax) x [0,by) x [0,cz) (a
 * fundamental domain of the lattice), remembering the translation in
 * `wrapShiftNm`; the periodic images of the atoms that fall within
 * cutoff+skin of the brick are added as ghost images. Images (real atoms and
 * ghosts) are stored sorted by cell, so that neighbours lie close in memory.
 * Each real atom ("home image") lists the images of atoms j > i within
 * cutoff+skin; because the skin is kept below half of (smallest box width -
 * 2 cutoff), no two images of one pair can both lie that close, so each pair
 * appears once, as its closest image, which is exactly OpenMM's minimum image
 * for every pair within the cutoff. Between builds an image's position is
 *   x_atom + wrapShift_atom + shiftVector(image)
 * (see `imagePositions`).
 *
 * Without a box there are no ghosts: images are the atoms themselves.
 *
 * The list is rebuilt only when some atom has moved more than skin/2 since
 * the last build, or the box changed.
 */
import type { BoxVectors } from '../system.ts'
import type { ExclusionLists } from './exclusions.ts'

/** Default skin, nm. */
export const DEFAULT_NEIGHBOR_SKIN_NM = 0.1

/** Lattice multiples tried for ghosts: a in -2..2, b and c in -1..1 (enough for the brick of a reduced box). */
const A_RANGE = 2
const B_RANGE = 1
const C_RANGE = 1
const SHIFT_COUNT = (2 * A_RANGE + 1) * (2 * B_RANGE + 1) * (2 * C_RANGE + 1)
/** Shift code of the zero lattice vector. */
export const ZERO_SHIFT_CODE = (A_RANGE * (2 * B_RANGE + 1) + B_RANGE) * (2 * C_RANGE + 1) + C_RANGE

/** Cells are at least this fraction of cutoff+skin wide. */
const CELL_FRACTION = 0.5

/**
 * How to order each atom's partners (the order does not change results, only
 * speed): pairs within the cutoff with Lennard-Jones below the switching
 * distance, then with LJ beyond it, then without LJ, then pairs beyond the
 * cutoff (at build time). Without it: within the cutoff, then beyond.
 */
export interface PairOrdering {
  /** Per atom: 1 when its LJ epsilon is non-zero. */
  readonly hasLennardJones: Uint8Array
  /** Switching distance, nm, or -1 without switching. */
  readonly switchingDistanceNm: number
}

export class NeighborList {
  readonly particleCount: number
  readonly cutoffNm: number
  private readonly requestedSkinNm: number
  private readonly exclusions: ExclusionLists

  /** Number of images (real atoms + ghosts). */
  imageCount = 0
  /** Atom of each image, by image index (images sorted by cell). */
  imageAtom: Int32Array = new Int32Array(0)
  /** Shift code of each image (index into shiftVectorsNm / 3). */
  imageShift: Uint8Array = new Uint8Array(0)
  /** Image index of each real atom ("home"), in image order (home h -> image). */
  readonly homeImage: Int32Array
  /** CSR start offsets by home index, length N+1. */
  readonly start: Int32Array
  /** Image index of the partner of each pair. */
  neighbors: Int32Array = new Int32Array(0)
  /** Lattice vectors by shift code, nm, 3 per code. */
  readonly shiftVectorsNm = new Float64Array(3 * SHIFT_COUNT)
  /** Per atom translation (nm) that wrapped it into the brick at the last build (zero without a box). */
  readonly wrapShiftNm: Float64Array
  /** Number of pairs in the list. */
  pairCount = 0
  /** Number of builds so far. */
  buildCount = 0
  /** Skin used by the last build, nm. */
  skinNm = 0

  private readonly positionsAtBuild: Float64Array
  private readonly boxAtBuild = new Float64Array(9)
  private builtWithBox = false
  private built = false
  private readonly excludedStamp: Int32Array
  // Unsorted image scratch and sorted image coordinates, grown as needed.
  private rawX = new Float64Array(0)
  private rawY = new Float64Array(0)
  private rawZ = new Float64Array(0)
  private rawAtom = new Int32Array(0)
  private rawShift = new Uint8Array(0)
  private rawCell = new Int32Array(0)
  private sortedXyz = new Float64Array(0)
  private cellStart = new Int32Array(0)
  private cellFill = new Int32Array(0)
  private readonly homeCell: Int32Array
  private readonly homeOfAtom: Int32Array
  /** Home index of each image's atom. */
  private imageKey = new Int32Array(0)
  private cellOffsets = new Int32Array(0)

  /** Makes the Int32Arrays other threads read (start, homeImage, neighbors). */
  private readonly allocateInt32: (length: number) => Int32Array
  private readonly ordering: PairOrdering | undefined
  /** Class of each pair at build time (see PairOrdering), scratch. */
  private pairClass = new Uint8Array(0)
  private cellRank = new Int32Array(0)
  private rankCell = new Int32Array(0)
  private rankedShape = [0, 0, 0]
  private orderScratch = new Int32Array(0)

  constructor (particleCount: number, cutoffNm: number, exclusions: ExclusionLists, skinNm = DEFAULT_NEIGHBOR_SKIN_NM,
    allocateInt32: (length: number) => Int32Array = (length) => new Int32Array(length), ordering?: PairOrdering) {
    this.particleCount = particleCount
    this.cutoffNm = cutoffNm
    this.requestedSkinNm = skinNm
    this.exclusions = exclusions
    this.allocateInt32 = allocateInt32
    this.ordering = ordering
    this.start = allocateInt32(particleCount + 1)
    this.homeImage = allocateInt32(particleCount)
    this.homeCell = new Int32Array(particleCount)
    this.homeOfAtom = new Int32Array(particleCount)
    this.wrapShiftNm = new Float64Array(3 * particleCount)
    this.positionsAtBuild = new Float64Array(3 * particleCount)
    this.excludedStamp = new Int32Array(particleCount).fill(-1)
  }

  /** Rebuilds the list when needed. Returns true when it did. `box` null: no periodicity. */
  update (positionsNm: Float64Array, box: BoxVectors | null): boolean {
    if (!this.needsBuild(positionsNm, box)) return false
    this.build(positionsNm, box)
    return true
  }

  /** Writes every image's current position (nm, 3 per image) into `out`. */
  imagePositions (positionsNm: Float64Array, out: Float64Array): void {
    const atoms = this.imageAtom
    const shifts = this.imageShift
    const wrap = this.wrapShiftNm
    const vectors = this.shiftVectorsNm
    for (let s = 0; s < this.imageCount; s++) {
      const a3 = 3 * atoms[s]
      const c3 = 3 * shifts[s]
      out[3 * s] = positionsNm[a3] + wrap[a3] + vectors[c3]
      out[3 * s + 1] = positionsNm[a3 + 1] + wrap[a3 + 1] + vectors[c3 + 1]
      out[3 * s + 2] = positionsNm[a3 + 2] + wrap[a3 + 2] + vectors[c3 + 2]
    }
  }

  private needsBuild (positionsNm: Float64Array, box: BoxVectors | null): boolean {
    if (!this.built) return true
    if ((box !== null) !== this.builtWithBox) return true
    if (box !== null) {
      for (let k = 0; k < 9; k++) if (box[k] !== this.boxAtBuild[k]) return true
    }
    const limit = 0.5 * this.skinNm
    const limit2 = limit * limit
    const old = this.positionsAtBuild
    for (let k = 0; k < positionsNm.length; k += 3) {
      const dx = positionsNm[k] - old[k]
      const dy = positionsNm[k + 1] - old[k + 1]
      const dz = positionsNm[k + 2] - old[k + 2]
      // (negated so that a NaN position also triggers a rebuild)
      if (!(dx * dx + dy * dy + dz * dz <= limit2)) return true
    }
    return false
  }

  private build (positionsNm: Float64Array, box: BoxVectors | null): void {
    const n = this.particleCount
    const cutoff = this.cutoffNm
    this.positionsAtBuild.set(positionsNm)
    this.builtWithBox = box !== null
    if (box !== null) this.boxAtBuild.set(box)
    this.built = true
    this.buildCount++

    // Skin: no two images of a pair may both lie within cutoff+skin.
    let skin = this.requestedSkinNm
    if (box !== null) {
      const room = 0.5 * Math.min(box[0], box[4], box[8]) - cutoff
      skin = Math.max(0, Math.min(skin, 0.99 * room))
    }
    this.skinNm = skin
    const reach = cutoff + skin
    const reach2 = reach * reach

    // Lattice vectors by shift code.
    const vectors = this.shiftVectorsNm
    for (let na = -A_RANGE; na <= A_RANGE; na++) {
      for (let nb = -B_RANGE; nb <= B_RANGE; nb++) {
        for (let nc = -C_RANGE; nc <= C_RANGE; nc++) {
          const c3 = 3 * (((na + A_RANGE) * (2 * B_RANGE + 1) + nb + B_RANGE) * (2 * C_RANGE + 1) + nc + C_RANGE)
          if (box === null) {
            vectors[c3] = 0; vectors[c3 + 1] = 0; vectors[c3 + 2] = 0
          } else {
            vectors[c3] = na * box[0] + nb * box[3] + nc * box[6]
            vectors[c3 + 1] = nb * box[4] + nc * box[7]
            vectors[c3 + 2] = nc * box[8]
          }
        }
      }
    }

    // Real atoms (wrapped into the brick when periodic) are the first images.
    this.ensureRawCapacity(n)
    let rawX = this.rawX; let rawY = this.rawY; let rawZ = this.rawZ
    let rawAtom = this.rawAtom; let rawShift = this.rawShift
    const wrap = this.wrapShiftNm
    let lowX: number, lowY: number, lowZ: number, highX: number, highY: number, highZ: number
    if (box !== null) {
      for (let i = 0; i < n; i++) {
        const i3 = 3 * i
        let x = positionsNm[i3]; let y = positionsNm[i3 + 1]; let z = positionsNm[i3 + 2]
        const nc = Math.floor(z / box[8])
        x -= nc * box[6]; y -= nc * box[7]; z -= nc * box[8]
        const nb = Math.floor(y / box[4])
        x -= nb * box[3]; y -= nb * box[4]
        const na = Math.floor(x / box[0])
        x -= na * box[0]
        wrap[i3] = x - positionsNm[i3]
        wrap[i3 + 1] = y - positionsNm[i3 + 1]
        wrap[i3 + 2] = z - positionsNm[i3 + 2]
        rawX[i] = positionsNm[i3] + wrap[i3]
        rawY[i] = positionsNm[i3 + 1] + wrap[i3 + 1]
        rawZ[i] = positionsNm[i3 + 2] + wrap[i3 + 2]
        rawAtom[i] = i
        rawShift[i] = ZERO_SHIFT_CODE
      }
      lowX = -reach; lowY = -reach; lowZ = -reach
      highX = box[0] + reach; highY = box[4] + reach; highZ = box[8] + reach
    } else {
      wrap.fill(0)
      lowX = Infinity; lowY = Infinity; lowZ = Infinity
      highX = -Infinity; highY = -Infinity; highZ = -Infinity
      for (let i = 0; i < n; i++) {
        const x = positionsNm[3 * i]; const y = positionsNm[3 * i + 1]; const z = positionsNm[3 * i + 2]
        rawX[i] = x; rawY[i] = y; rawZ[i] = z
        rawAtom[i] = i
        rawShift[i] = ZERO_SHIFT_CODE
        if (x < lowX) lowX = x
        if (x > highX) highX = x
        if (y < lowY) lowY = y
        if (y > highY) highY = y
        if (z < lowZ) lowZ = z
        if (z > highZ) highZ = z
      }
      if (!(highX >= lowX && highY >= lowY && highZ >= lowZ)) { lowX = 0; highX = 0; lowY = 0; highY = 0; lowZ = 0; highZ = 0 }
    }

    // Ghost images within reach of the brick.
    let imageCount = n
    if (box !== null) {
      for (let code = 0; code < SHIFT_COUNT; code++) {
        if (code === ZERO_SHIFT_CODE) continue
        const sx = vectors[3 * code]; const sy = vectors[3 * code + 1]; const sz = vectors[3 * code + 2]
        for (let i = 0; i < n; i++) {
          const x = rawX[i] + sx
          const y = rawY[i] + sy
          const z = rawZ[i] + sz
          if (x < lowX || x >= highX || y < lowY || y >= highY || z < lowZ || z >= highZ) continue
          if (imageCount >= rawX.length) {
            this.ensureRawCapacity(2 * imageCount)
            rawX = this.rawX; rawY = this.rawY; rawZ = this.rawZ; rawAtom = this.rawAtom; rawShift = this.rawShift
          }
          rawX[imageCount] = x
          rawY[imageCount] = y
          rawZ[imageCount] = z
          rawAtom[imageCount] = i
          rawShift[imageCount] = code
          imageCount++
        }
      }
    }
    this.imageCount = imageCount

    // Cell grid over [low, high] (never more cells than a few per image).
    let cellTarget = Math.max(reach * CELL_FRACTION, 1e-6)
    const maxCells = Math.max(4096, 4 * imageCount)
    const cellsAlong = (extent: number): number => !(extent < Infinity) ? 1 : Math.max(1, Math.min(1 << 20, Math.floor(extent / cellTarget)))
    while (cellsAlong(highX - lowX) * cellsAlong(highY - lowY) * cellsAlong(highZ - lowZ) > maxCells) cellTarget *= 1.25
    const cellsX = cellsAlong(highX - lowX)
    const cellsY = cellsAlong(highY - lowY)
    const cellsZ = cellsAlong(highZ - lowZ)
    const cellWidthX = cellsX === 1 ? Math.max(highX - lowX, cellTarget) : (highX - lowX) / cellsX
    const cellWidthY = cellsY === 1 ? Math.max(highY - lowY, cellTarget) : (highY - lowY) / cellsY
    const cellWidthZ = cellsZ === 1 ? Math.max(highZ - lowZ, cellTarget) : (highZ - lowZ) / cellsZ
    const cellCount = cellsX * cellsY * cellsZ
    // Buckets: 2 per cell, home images of cell c in bucket 2c, its ghosts in 2c+1.
    const bucketCount = 2 * cellCount
    if (this.cellStart.length < bucketCount + 1) {
      this.cellStart = new Int32Array(bucketCount + 1)
      this.cellFill = new Int32Array(bucketCount)
    }
    const bucketStart = this.cellStart
    bucketStart.fill(0, 0, bucketCount + 1)
    this.rankCells(cellsX, cellsY, cellsZ)
    const cellRank = this.cellRank
    const rankCell = this.rankCell
    const rawCell = this.rawCell
    for (let m = 0; m < imageCount; m++) {
      let cx = Math.floor((rawX[m] - lowX) / cellWidthX)
      let cy = Math.floor((rawY[m] - lowY) / cellWidthY)
      let cz = Math.floor((rawZ[m] - lowZ) / cellWidthZ)
      // (written so that NaN lands in cell 0 rather than off the grid)
      if (!(cx >= 0)) cx = 0; else if (cx >= cellsX) cx = cellsX - 1
      if (!(cy >= 0)) cy = 0; else if (cy >= cellsY) cy = cellsY - 1
      if (!(cz >= 0)) cz = 0; else if (cz >= cellsZ) cz = cellsZ - 1
      const bucket = 2 * cellRank[(cx * cellsY + cy) * cellsZ + cz] + (m < n ? 0 : 1)
      rawCell[m] = bucket
      bucketStart[bucket + 1]++
    }
    for (let c = 0; c < bucketCount; c++) bucketStart[c + 1] += bucketStart[c]

    // Counting sort of the images by bucket; home index of each real atom in image order.
    if (this.imageAtom.length < imageCount) {
      this.imageAtom = new Int32Array(rawX.length)
      this.imageShift = new Uint8Array(rawX.length)
      this.imageKey = new Int32Array(rawX.length)
      this.sortedXyz = new Float64Array(3 * rawX.length)
    }
    const imageAtom = this.imageAtom
    const imageShift = this.imageShift
    const imageKey = this.imageKey
    const xyz = this.sortedXyz
    const fill = this.cellFill
    fill.set(bucketStart.subarray(0, bucketCount))
    const homeImage = this.homeImage
    const homeCell = this.homeCell
    const homeOfAtom = this.homeOfAtom
    for (let m = 0; m < imageCount; m++) {
      const s = fill[rawCell[m]]++
      imageAtom[s] = rawAtom[m]
      imageShift[s] = rawShift[m]
      xyz[3 * s] = rawX[m]
      xyz[3 * s + 1] = rawY[m]
      xyz[3 * s + 2] = rawZ[m]
    }
    let homeCount = 0
    for (let rank = 0; rank < cellCount; rank++) {
      const c = rankCell[rank]
      for (let s = bucketStart[2 * rank]; s < bucketStart[2 * rank + 1]; s++) {
        homeImage[homeCount] = s
        homeCell[homeCount] = c
        homeOfAtom[imageAtom[s]] = homeCount
        homeCount++
      }
    }
    // Each pair is listed once, under the home (real atom) with the lower home index.
    for (let s = 0; s < imageCount; s++) imageKey[s] = homeOfAtom[imageAtom[s]]

    // Neighbouring cell offsets whose closest points may be within reach.
    const rangeX = Math.min(Math.ceil(reach / cellWidthX), cellsX - 1)
    const rangeY = Math.min(Math.ceil(reach / cellWidthY), cellsY - 1)
    const rangeZ = Math.min(Math.ceil(reach / cellWidthZ), cellsZ - 1)
    let offsetCount = 0
    const maxOffsets = (2 * rangeX + 1) * (2 * rangeY + 1) * (2 * rangeZ + 1)
    if (this.cellOffsets.length < 3 * maxOffsets) this.cellOffsets = new Int32Array(3 * maxOffsets)
    const offsets = this.cellOffsets
    for (let ox = -rangeX; ox <= rangeX; ox++) {
      const gx = Math.max(0, Math.abs(ox) - 1) * cellWidthX
      for (let oy = -rangeY; oy <= rangeY; oy++) {
        const gy = Math.max(0, Math.abs(oy) - 1) * cellWidthY
        for (let oz = -rangeZ; oz <= rangeZ; oz++) {
          const gz = Math.max(0, Math.abs(oz) - 1) * cellWidthZ
          if (gx * gx + gy * gy + gz * gz > reach2) continue
          offsets[3 * offsetCount] = ox
          offsets[3 * offsetCount + 1] = oy
          offsets[3 * offsetCount + 2] = oz
          offsetCount++
        }
      }
    }

    // Pairs, home by home. Each home's partners are ordered by class (see PairOrdering) so that the
    // branches of the pair loop become predictable.
    const start = this.start
    const stamp = this.excludedStamp
    stamp.fill(-1)
    const { start: exclusionStart, partners } = this.exclusions
    const cutoff2 = cutoff * cutoff
    const hasLJ = this.ordering?.hasLennardJones ?? null
    const switch2 = this.ordering !== undefined && this.ordering.switchingDistanceNm >= 0
      ? this.ordering.switchingDistanceNm * this.ordering.switchingDistanceNm
      : cutoff2
    let neighbors = this.neighbors
    let pairClass = this.pairClass
    let pairCount = 0
    for (let h = 0; h < homeCount; h++) {
      start[h] = pairCount
      const si = homeImage[h]
      const i = imageAtom[si]
      const iHasLJ = hasLJ === null ? 1 : hasLJ[i]
      for (let e = exclusionStart[i]; e < exclusionStart[i + 1]; e++) stamp[partners[e]] = i
      const xi = xyz[3 * si]; const yi = xyz[3 * si + 1]; const zi = xyz[3 * si + 2]
      const cell = homeCell[h]
      const cellRankOfHome = cellRank[cell]
      const cz = cell % cellsZ
      const cy = ((cell - cz) / cellsZ) % cellsY
      const cx = (cell - cz - cy * cellsZ) / (cellsZ * cellsY)
      for (let o = 0; o < offsetCount; o++) {
        const nx = cx + offsets[3 * o]
        const ny = cy + offsets[3 * o + 1]
        const nz = cz + offsets[3 * o + 2]
        if (nx < 0 || nx >= cellsX || ny < 0 || ny >= cellsY || nz < 0 || nz >= cellsZ) continue
        // skip cells whose nearest point is out of reach of this atom
        const cellLowX = lowX + nx * cellWidthX; const cellLowY = lowY + ny * cellWidthY; const cellLowZ = lowZ + nz * cellWidthZ
        const gapX = xi < cellLowX ? cellLowX - xi : (xi > cellLowX + cellWidthX ? xi - cellLowX - cellWidthX : 0)
        const gapY = yi < cellLowY ? cellLowY - yi : (yi > cellLowY + cellWidthY ? yi - cellLowY - cellWidthY : 0)
        const gapZ = zi < cellLowZ ? cellLowZ - zi : (zi > cellLowZ + cellWidthZ ? zi - cellLowZ - cellWidthZ : 0)
        if (gapX * gapX + gapY * gapY + gapZ * gapZ >= reach2) continue
        const other = cellRank[(nx * cellsY + ny) * cellsZ + nz]
        // home images of earlier cells have lower home indices: only their ghosts can pair with h here
        const first = other < cellRankOfHome ? bucketStart[2 * other + 1] : (other === cellRankOfHome ? si + 1 : bucketStart[2 * other])
        const end = bucketStart[2 * other + 2]
        for (let s = first; s < end; s++) {
          // distance first: it rejects most candidates without touching the atom arrays
          const dx = xyz[3 * s] - xi
          const dy = xyz[3 * s + 1] - yi
          const dz = xyz[3 * s + 2] - zi
          const r2 = dx * dx + dy * dy + dz * dz
          if (r2 >= reach2) continue
          if (imageKey[s] <= h) continue
          const j = imageAtom[s]
          if (stamp[j] === i) continue
          if (pairCount >= neighbors.length) {
            const capacity = Math.max(1024, 2 * pairCount)
            const grown = this.allocateInt32(capacity)
            grown.set(neighbors)
            neighbors = grown
            this.neighbors = grown
            const grownClass = new Uint8Array(capacity)
            grownClass.set(pairClass)
            pairClass = grownClass
            this.pairClass = grownClass
          }
          pairClass[pairCount] = r2 >= cutoff2 ? 3 : (iHasLJ & (hasLJ === null ? 1 : hasLJ[j])) === 0 ? 2 : r2 < switch2 ? 0 : 1
          neighbors[pairCount++] = s
        }
      }
      this.orderByClass(start[h], pairCount)
    }
    start[homeCount] = pairCount
    this.pairCount = pairCount
  }

  /**
   * Orders the cells along a Morton (Z-order) curve, so that images close in
   * space are close in memory: cellRank[row-major cell] and its inverse.
   * Kept while the grid's shape does not change.
   */
  private rankCells (cellsX: number, cellsY: number, cellsZ: number): void {
    if (cellsX === this.rankedShape[0] && cellsY === this.rankedShape[1] && cellsZ === this.rankedShape[2]) return
    const cellCount = cellsX * cellsY * cellsZ
    const spread = (value: number): number => {
      let code = 0
      for (let bit = 0; bit < 17; bit++) code += ((value >> bit) & 1) * 2 ** (3 * bit)
      return code
    }
    const keys = new Float64Array(cellCount)
    for (let cx = 0; cx < cellsX; cx++) {
      for (let cy = 0; cy < cellsY; cy++) {
        for (let cz = 0; cz < cellsZ; cz++) {
          keys[(cx * cellsY + cy) * cellsZ + cz] = 4 * spread(cx) + 2 * spread(cy) + spread(cz)
        }
      }
    }
    const order = Array.from({ length: cellCount }, (_, cell) => cell).sort((a, b) => keys[a] - keys[b])
    this.cellRank = new Int32Array(cellCount)
    this.rankCell = new Int32Array(cellCount)
    for (let rank = 0; rank < cellCount; rank++) {
      this.rankCell[rank] = order[rank]
      this.cellRank[order[rank]] = rank
    }
    this.rankedShape = [cellsX, cellsY, cellsZ]
  }

  /** Stable partition of neighbors[from, to) by pairClass (0..3). */
  private orderByClass (from: number, to: number): void {
    const count = to - from
    if (count < 2) return
    if (this.orderScratch.length < count) this.orderScratch = new Int32Array(2 * count)
    const scratch = this.orderScratch
    const neighbors = this.neighbors
    const pairClass = this.pairClass
    let c0 = 0; let c1 = 0; let c2 = 0
    for (let k = from; k < to; k++) {
      scratch[k - from] = neighbors[k]
      const c = pairClass[k]
      if (c === 0) c0++; else if (c === 1) c1++; else if (c === 2) c2++
    }
    let p0 = from; let p1 = from + c0; let p2 = p1 + c1; let p3 = p2 + c2
    for (let k = from; k < to; k++) {
      const s = scratch[k - from]
      const c = pairClass[k]
      if (c === 0) neighbors[p0++] = s
      else if (c === 1) neighbors[p1++] = s
      else if (c === 2) neighbors[p2++] = s
      else neighbors[p3++] = s
    }
  }

  private ensureRawCapacity (capacity: number): void {
    if (this.rawX.length >= capacity) return
    const x = new Float64Array(capacity); x.set(this.rawX); this.rawX = x
    const y = new Float64Array(capacity); y.set(this.rawY); this.rawY = y
    const z = new Float64Array(capacity); z.set(this.rawZ); this.rawZ = z
    const atom = new Int32Array(capacity); atom.set(this.rawAtom); this.rawAtom = atom
    const shift = new Uint8Array(capacity); shift.set(this.rawShift); this.rawShift = shift
    this.rawCell = new Int32Array(capacity)
  }
}
