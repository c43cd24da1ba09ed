/**
 * Verlet neighbour list with a skin, built with cell lists, for the
 * nonbonded pair loop. Half list in CSR form over *images*.
 *
 * Periodic boxes (OpenMM reduced form, rectangular or triclinic): at each
 * build every atom is wrapped into the brick [0,ax) x [0,by) x [0,cz) (a
 * fundamental domain of the lattice), remembering the translation in
 * `wrapShiftNm`; the periodic images of the atoms that fall within
 * cutoff+skin of the brick, and not below it (z >= 0: a partner always lies
 * above its home, see searchPairRange), are added as ghost images. Images (real atoms and
 * ghosts) are stored sorted by cell, so that neighbours lie close in memory.
 * Each real atom ("home image") lists the images of atoms whose home comes
 * later, within cutoff+skin; because the skin is kept below half of
 * (smallest box width - 2 cutoff), no two images of one pair can both lie
 * that close, so each pair appears once, as its closest image, which is
 * exactly OpenMM's minimum image for every pair within the cutoff. Between
 * builds an image's position is
 *   x_atom + wrapShift_atom + shiftVector(image)
 * (see `imagePositions`), so the pair loop needs no minimum-image arithmetic.
 *
 * Without a box there are no ghosts: images are the atoms themselves.
 *
 * The build is a counting sort of the images into a cell grid (cells ordered
 * z fastest, about a third of cutoff+skin wide, half that along z), then, per home, a sweep over
 * the columns of cells within reach, each one contiguous run of images
 * (`searchPairRange`). With a helper thread the search of the later homes
 * runs on it. The list is rebuilt only when some atom has moved more than
 * skin/2 since the last build, or the box changed.
 */
import type { BoxVectors } from '../system.ts'
import type { ExclusionLists } from './exclusions.ts'
import { searchPairRangeInChunks } from './neighbor-search.ts'
import { sharedFloat64, sharedInt32, sharedUint8, type ForceHelperThread } from './parallel-pairs.ts'

/** Default skin, nm. */
export const DEFAULT_NEIGHBOR_SKIN_NM = 0.2

/** Lattice multiples tried for ghosts: a in -2..2, b and c in -1..1 (enough for the brick of a reduced box). */
const A_RANGE = 2
const B_RANGE = 1
const C_RANGE = 1
const SHIFT_COUNT = (2 * A_RANGE + 1) * (2 * B_RANGE + 1) * (2 * C_RANGE + 1)
/** Shift code of the zero lattice vector. */
export const ZERO_SHIFT_CODE = (A_RANGE * (2 * B_RANGE + 1) + B_RANGE) * (2 * C_RANGE + 1) + C_RANGE

/**
 * Cells are about this fraction of cutoff+skin wide (x and y). Narrower cells fit the sphere of reach better
 * (fewer images tested per home) but add columns to visit: a third tests about 25% fewer images than a half.
 */
const CELL_FRACTION = 0.34
/**
 * Along z cells are this many times thinner: a column is one contiguous run of images, so thin layers cost
 * nothing to visit and trim the partly used layers at both ends of the run.
 */
const Z_CELL_RATIO = 0.5
/** Below this many homes the search stays on one thread. */
const PARALLEL_SEARCH_MIN_HOMES = 1000

/**
 * How to order each atom's partners (the order does not change results, only
 * speed): see `searchPairRange`. Without it every pair within the cutoff is
 * in one class.
 */
export interface PairOrdering {
  /** Per atom: 1 when its LJ epsilon is non-zero. */
  readonly hasLennardJones: Uint8Array
  /** Switching distance, nm, or -1 without switching. */
  readonly switchingDistanceNm: number
}

export interface NeighborListOptions {
  ordering?: PairOrdering
  /** A helper thread for the later half of the search; arrays are then SharedArrayBuffers. */
  helper?: ForceHelperThread | null
}

export class NeighborList {
  readonly particleCount: number
  readonly cutoffNm: number
  private readonly requestedSkinNm: number

  /** Number of images (real atoms + ghosts). */
  imageCount = 0
  /** Atom of each image, by image index (images sorted by cell). */
  imageAtom: Int32Array = new Int32Array(0)
  /** Per image, wrap shift of its atom + its lattice shift, nm (3 per image): position = x_atom + offset. */
  imageOffsetNm: Float64Array = new Float64Array(0)
  /** Shift code of each image (index into shiftVectorsNm / 3). */
  imageShift: Uint8Array = new Uint8Array(0)
  /** Image index of each real atom ("home"), in image order (home h -> image). */
  readonly homeImage: Int32Array
  /** CSR start offsets by home index, length N+1. */
  readonly start: Int32Array
  /**
   * Per home, the offset of its first partner with which both have
   * Lennard-Jones or that lay beyond the cutoff at the build: the partners
   * before it are within the cutoff and need Coulomb only (without a
   * PairOrdering: every partner within the cutoff comes before it).
   */
  readonly pairedStart: Int32Array
  /**
   * Per home, 4 offsets: the ends of the four shells of partners that were
   * beyond the cutoff at the build (a quarter of the skin each, nearest
   * first); shellEnd[4h + 3] = start[h + 1]. See `shellLimit`.
   */
  shellEnd: Int32Array
  /** Largest displacement of any atom since the last build, nm (updated by `update`). */
  maxDisplacementNm = 0
  /**
   * Per home (index h as `homeImage`), the last shell of its partners that may have come within the cutoff,
   * 0..3: like `shellLimit()`, but from the home's own displacement plus the largest one (a pair can only
   * have closed in by the sum of its two atoms' displacements). Updated by `update`.
   */
  readonly homeShellLimit: Int32Array
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
  /** Whether builds may use the helper thread (when there is one). */
  helperEnabled = true

  private readonly positionsAtBuild: Float64Array
  /** Squared displacement of each atom since the last build, nm^2. */
  private readonly displacement2: Float64Array
  private readonly boxAtBuild = new Float64Array(9)
  private builtWithBox = false
  private built = false
  private readonly helper: ForceHelperThread | null
  private readonly shared: boolean
  private readonly hasLennardJones: Uint8Array
  private readonly switchingDistanceNm: number
  private readonly exclusionStart: Int32Array
  private readonly exclusionPartners: Int32Array
  private readonly stamp: Int32Array
  // Unsorted image scratch, grown as needed.
  private rawX = new Float64Array(0)
  private rawY = new Float64Array(0)
  private rawZ = new Float64Array(0)
  private rawAtom = new Int32Array(0)
  private rawShift = new Uint8Array(0)
  private rawCell = new Int32Array(0)
  /** Sorted image coordinates (3 per image). */
  private xyz: Float64Array = new Float64Array(0)
  private cellStart: Int32Array = new Int32Array(0)
  /** See searchPairRange. */
  private readonly grid: Float64Array
  private scratch = new Int32Array(0)
  private scratchDistance2 = new Float64Array(0)
  /** The helper's part of the list, merged into `neighbors` after each build. */
  private helperStart: Int32Array
  private helperPairedStart: Int32Array
  private helperShellEnd: Int32Array
  private helperNeighbors: Int32Array = new Int32Array(0)
  /** First home searched by the helper (adapted after each build so both parts have about the same pairs). */
  private searchSplit = -1

  constructor (particleCount: number, cutoffNm: number, exclusions: ExclusionLists, skinNm = DEFAULT_NEIGHBOR_SKIN_NM,
    options: NeighborListOptions = {}) {
    this.particleCount = particleCount
    this.cutoffNm = cutoffNm
    this.requestedSkinNm = skinNm
    this.helper = options.helper ?? null
    this.shared = this.helper !== null
    this.start = this.int32(particleCount + 1)
    this.pairedStart = this.int32(particleCount)
    this.shellEnd = this.int32(4 * particleCount)
    this.homeImage = this.int32(particleCount)
    this.homeShellLimit = this.int32(particleCount)
    this.displacement2 = new Float64Array(particleCount)
    this.wrapShiftNm = new Float64Array(3 * particleCount)
    this.positionsAtBuild = new Float64Array(3 * particleCount)
    this.stamp = new Int32Array(particleCount).fill(-1)
    this.grid = this.shared ? sharedFloat64(20) : new Float64Array(20)
    this.helperStart = this.int32(this.shared ? particleCount + 1 : 1)
    this.helperPairedStart = this.int32(this.shared ? particleCount : 1)
    this.helperShellEnd = this.int32(this.shared ? 4 * particleCount : 1)
    const ordering = options.ordering
    this.hasLennardJones = this.shared ? sharedUint8(particleCount) : new Uint8Array(particleCount)
    if (ordering !== undefined) this.hasLennardJones.set(ordering.hasLennardJones)
    this.switchingDistanceNm = ordering !== undefined && ordering.switchingDistanceNm >= 0 ? ordering.switchingDistanceNm : cutoffNm
    this.exclusionStart = this.shared ? copyToShared(exclusions.start) : exclusions.start
    this.exclusionPartners = this.shared ? copyToShared(exclusions.partners) : exclusions.partners
  }

  /**
   * Makes the next `update` rebuild the list, whatever the displacements. The list's pair order (hence the
   * rounding of force sums) depends on the positions it was built from: a checkpoint restarts the list so that
   * a run resumed from it, which builds its list from the checkpoint's positions, follows this run bit for bit.
   */
  restart (): void {
    this.built = false
  }

  /** Rebuilds the list when needed. Returns true when it did. `box` null: no periodicity. */
  update (positionsNm: Float64Array, box: BoxVectors | null): boolean {
    if (!this.needsBuild(positionsNm, box)) return false
    this.build(positionsNm, box)
    return true
  }

  /**
   * The last shell (0..3) of once-beyond-cutoff partners that may have come
   * within the cutoff: a pair that was r apart at the build is now at least
   * r - 2 maxDisplacement apart, so shell k (from cutoff + k skin/4) is
   * needed only once 2 maxDisplacement exceeds k skin/4.
   */
  shellLimit (): number {
    const reachable = 2 * this.maxDisplacementNm * (1 + 1e-9) + 1e-12
    const quarter = 0.25 * this.skinNm
    if (reachable > 3 * quarter) return 3
    if (reachable > 2 * quarter) return 2
    if (reachable > quarter) return 1
    return 0
  }

  /** Writes every image's current position (nm, 3 per image) into `out`. */
  imagePositions (positionsNm: Float64Array, out: Float64Array): void {
    const atoms = this.imageAtom
    const offset = this.imageOffsetNm
    for (let s = 0; s < this.imageCount; s++) {
      const a3 = 3 * atoms[s]
      const s3 = 3 * s
      out[s3] = positionsNm[a3] + offset[s3]
      out[s3 + 1] = positionsNm[a3 + 1] + offset[s3 + 1]
      out[s3 + 2] = positionsNm[a3 + 2] + offset[s3 + 2]
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
    const displacement2 = this.displacement2
    let max2 = 0
    for (let i = 0, k = 0; k < positionsNm.length; i++, k += 3) {
      const dx = positionsNm[k] - old[k]
      const dy = positionsNm[k + 1] - old[k + 1]
      const dz = positionsNm[k + 2] - old[k + 2]
      const d2 = dx * dx + dy * dy + dz * dz
      // (negated so that a NaN position also triggers a rebuild)
      if (!(d2 <= limit2)) return true
      if (d2 > max2) max2 = d2
      displacement2[i] = d2
    }
    this.maxDisplacementNm = Math.sqrt(max2)
    this.updateHomeShellLimits()
    return false
  }

  /** homeShellLimit from the displacements (see shellLimit for the rule; here the pair's reach is d_home + d_max). */
  private updateHomeShellLimits (): void {
    const maximum = this.maxDisplacementNm
    const quarter = 0.25 * this.skinNm
    const limits = this.homeShellLimit
    const homeImage = this.homeImage
    const imageAtom = this.imageAtom
    const displacement2 = this.displacement2
    for (let h = 0; h < this.particleCount; h++) {
      const reachable = (Math.sqrt(displacement2[imageAtom[homeImage[h]]]) + maximum) * (1 + 1e-9) + 1e-12
      limits[h] = reachable > 3 * quarter ? 3 : reachable > 2 * quarter ? 2 : reachable > quarter ? 1 : 0
    }
  }

  private build (positionsNm: Float64Array, box: BoxVectors | null): void {
    this.positionsAtBuild.set(positionsNm)
    this.builtWithBox = box !== null
    if (box !== null) this.boxAtBuild.set(box)
    this.built = true
    this.buildCount++
    this.maxDisplacementNm = 0
    this.homeShellLimit.fill(0)

    // Skin: no two images of a pair may both lie within cutoff+skin.
    let skin = this.requestedSkinNm
    if (box !== null) {
      const room = 0.5 * Math.min(box[0], box[4], box[8]) - this.cutoffNm
      skin = Math.max(0, Math.min(skin, 0.99 * room))
    }
    this.skinNm = skin
    const reach = this.cutoffNm + skin

    this.setShiftVectors(box)
    this.ensureRawCapacity(this.particleCount)
    if (box !== null) this.wrapAtoms(positionsNm, box)
    else this.copyAtoms(positionsNm)
    const imageCount = box !== null ? this.addGhosts(box, reach) : this.particleCount
    this.imageCount = imageCount
    this.sortImagesIntoCells(reach)
    this.search()
  }

  /** Lattice vectors by shift code. */
  private setShiftVectors (box: BoxVectors | null): void {
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
  }

  /** Real atoms, wrapped into the brick, are the first images; grid bounds = brick + reach. */
  private wrapAtoms (positionsNm: Float64Array, box: BoxVectors): void {
    const n = this.particleCount
    const rawX = this.rawX; const rawY = this.rawY; const rawZ = this.rawZ
    const rawAtom = this.rawAtom; const rawShift = this.rawShift
    const wrap = this.wrapShiftNm
    const ax = box[0]; const bx = box[3]; const by = box[4]; const cx = box[6]; const cy = box[7]; const cz = box[8]
    for (let i = 0; i < n; i++) {
      const i3 = 3 * i
      let x = positionsNm[i3]; let y = positionsNm[i3 + 1]; let z = positionsNm[i3 + 2]
      const nc = Math.floor(z / cz)
      x -= nc * cx; y -= nc * cy; z -= nc * cz
      const nb = Math.floor(y / by)
      x -= nb * bx; y -= nb * by
      const na = Math.floor(x / ax)
      x -= na * ax
      // rounding may leave z just outside [0, cz); the search relies on homes lying inside (see searchPairRange)
      if (z < 0) z = 0
      else if (z >= cz) z = cz * (1 - Number.EPSILON)
      wrap[i3] = x - positionsNm[i3]
      wrap[i3 + 1] = y - positionsNm[i3 + 1]
      wrap[i3 + 2] = z - positionsNm[i3 + 2]
      rawX[i] = x
      rawY[i] = y
      rawZ[i] = z
      rawAtom[i] = i
      rawShift[i] = ZERO_SHIFT_CODE
    }
  }

  /** Without a box: images are the atoms; grid bounds = their bounding box. */
  private copyAtoms (positionsNm: Float64Array): void {
    const n = this.particleCount
    this.wrapShiftNm.fill(0)
    const rawX = this.rawX; const rawY = this.rawY; const rawZ = this.rawZ
    for (let i = 0; i < n; i++) {
      rawX[i] = positionsNm[3 * i]; rawY[i] = positionsNm[3 * i + 1]; rawZ[i] = positionsNm[3 * i + 2]
      this.rawAtom[i] = i
      this.rawShift[i] = ZERO_SHIFT_CODE
    }
  }

  /** Adds the periodic images that lie within `reach` of the brick. Returns the image count. */
  private addGhosts (box: BoxVectors, reach: number): number {
    const n = this.particleCount
    const vectors = this.shiftVectorsNm
    const lowX = -reach; const lowY = -reach; const lowZ = 0
    const highX = box[0] + reach; const highY = box[4] + reach; const highZ = box[8] + reach
    let count = n
    for (let code = 0; code < SHIFT_COUNT; code++) {
      if (code === ZERO_SHIFT_CODE) continue
      const sx = vectors[3 * code]; const sy = vectors[3 * code + 1]; const sz = vectors[3 * code + 2]
      // the shifted brick's bounding box must meet the region at all
      if (sz + box[8] <= lowZ || sz >= highZ || sy + box[4] <= lowY || sy >= highY) continue
      if (sx + box[0] + Math.max(0, box[3]) + Math.max(0, box[6]) <= lowX || sx + Math.min(0, box[3]) + Math.min(0, box[6]) >= highX) continue
      if (count + n > this.rawX.length) this.ensureRawCapacity(Math.max(2 * this.rawX.length, count + n))
      count = appendGhosts(n, code, sx, sy, sz, lowX, lowY, lowZ, highX, highY, highZ,
        this.rawX, this.rawY, this.rawZ, this.rawAtom, this.rawShift, count)
    }
    return count
  }

  /** Counting sort of the images into the cell grid; homes in image order; the search grid. */
  private sortImagesIntoCells (reach: number): void {
    const n = this.particleCount
    const imageCount = this.imageCount
    const rawX = this.rawX; const rawY = this.rawY; const rawZ = this.rawZ
    let lowX: number, lowY: number, lowZ: number, highX: number, highY: number, highZ: number
    if (this.builtWithBox) {
      lowX = -reach; lowY = -reach; lowZ = 0
      highX = this.boxAtBuild[0] + reach; highY = this.boxAtBuild[4] + reach; highZ = this.boxAtBuild[8] + reach
    } else {
      lowX = Infinity; lowY = Infinity; lowZ = Infinity; highX = -Infinity; highY = -Infinity; highZ = -Infinity
      for (let i = 0; i < n; i++) {
        const x = rawX[i]; const y = rawY[i]; const z = rawZ[i]
        if (x < lowX) lowX = x
        if (x > highX) highX = x
        if (y < lowY) lowY = y
        if (y > highY) highY = y
        if (z < lowZ) lowZ = z
        if (z > highZ) highZ = z
      }
      if (!(highX >= lowX && highY >= lowY && highZ >= lowZ)) { lowX = 0; highX = 0; lowY = 0; highY = 0; lowZ = 0; highZ = 0 }
    }
    // Cell grid over [low, high] (never more cells than a few per image).
    let cellTarget = Math.max(reach * CELL_FRACTION, 1e-6)
    const maxCells = Math.max(4096, 4 * imageCount)
    while (cellsAlong(highX - lowX, cellTarget) * cellsAlong(highY - lowY, cellTarget) * cellsAlong(highZ - lowZ, cellTarget * Z_CELL_RATIO) > maxCells) {
      cellTarget *= 1.25
    }
    const cellsX = cellsAlong(highX - lowX, cellTarget)
    const cellsY = cellsAlong(highY - lowY, cellTarget)
    const cellsZ = cellsAlong(highZ - lowZ, cellTarget * Z_CELL_RATIO)
    const widthX = cellsX === 1 ? Math.max(highX - lowX, cellTarget) : (highX - lowX) / cellsX
    const widthY = cellsY === 1 ? Math.max(highY - lowY, cellTarget) : (highY - lowY) / cellsY
    const widthZ = cellsZ === 1 ? Math.max(highZ - lowZ, cellTarget * Z_CELL_RATIO) : (highZ - lowZ) / cellsZ
    const cellCount = cellsX * cellsY * cellsZ
    const grid = this.grid
    grid[0] = lowX; grid[1] = lowY; grid[2] = lowZ
    grid[3] = 1 / widthX; grid[4] = 1 / widthY; grid[5] = 1 / widthZ
    grid[6] = widthX; grid[7] = widthY; grid[8] = widthZ
    grid[9] = cellsX; grid[10] = cellsY; grid[11] = cellsZ
    grid[12] = reach * reach
    grid[13] = this.cutoffNm * this.cutoffNm
    grid[14] = this.switchingDistanceNm * this.switchingDistanceNm
    grid[15] = reach
    for (let k = 1; k <= 3; k++) grid[15 + k] = (this.cutoffNm + 0.25 * k * this.skinNm) ** 2

    if (this.cellStart.length < cellCount + 1) this.cellStart = this.int32(cellCount + 1)
    if (this.imageAtom.length < imageCount) {
      const capacity = this.rawX.length
      this.imageAtom = this.int32(capacity)
      this.imageShift = new Uint8Array(capacity)
      this.imageOffsetNm = this.shared ? sharedFloat64(3 * capacity) : new Float64Array(3 * capacity)
      this.xyz = this.shared ? sharedFloat64(3 * capacity) : new Float64Array(3 * capacity)
    }
    countingSortByCell(n, imageCount, rawX, rawY, rawZ, this.rawAtom, this.rawShift, this.rawCell, grid, this.cellStart, cellCount,
      this.imageAtom, this.imageShift, this.xyz)
    // homes in image order; each pair is listed once, under the home that comes first
    const imageAtom = this.imageAtom
    const imageShift = this.imageShift
    const homeImage = this.homeImage
    let homeCount = 0
    for (let s = 0; s < imageCount; s++) {
      if (imageShift[s] === ZERO_SHIFT_CODE) homeImage[homeCount++] = s
    }
    const offset = this.imageOffsetNm
    const wrap = this.wrapShiftNm
    const vectors = this.shiftVectorsNm
    for (let s = 0; s < imageCount; s++) {
      const a3 = 3 * imageAtom[s]
      const c3 = 3 * imageShift[s]
      offset[3 * s] = wrap[a3] + vectors[c3]
      offset[3 * s + 1] = wrap[a3 + 1] + vectors[c3 + 1]
      offset[3 * s + 2] = wrap[a3 + 2] + vectors[c3 + 2]
    }
  }

  /** The pair search, on one thread or split with the helper; the helper's part is appended. */
  private search (): void {
    const n = this.particleCount
    const stride = this.imageCount
    if (this.scratchDistance2.length < stride) {
      this.scratch = new Int32Array(8 * Math.ceil(stride * 1.25))
      this.scratchDistance2 = new Float64Array(Math.ceil(stride * 1.25))
    }
    const helper = this.helper !== null && this.helperEnabled && !this.helper.closed && n >= PARALLEL_SEARCH_MIN_HOMES ? this.helper : null
    let split = n
    if (helper !== null) {
      split = this.searchSplit > 0 && this.searchSplit < n ? this.searchSplit : Math.round(n * (1 - Math.SQRT1_2))
      if (this.helperNeighbors.length < Math.ceil(this.neighbors.length * 0.75)) this.helperNeighbors = this.int32(Math.ceil(this.neighbors.length * 0.75))
      helper.startSearch({
        homeImage: this.homeImage, imageAtom: this.imageAtom, xyz: this.xyz, cellStart: this.cellStart,
        grid: this.grid, exclusionStart: this.exclusionStart, exclusionPartners: this.exclusionPartners,
        hasLennardJones: this.hasLennardJones, start: this.helperStart, pairedStart: this.helperPairedStart, shellEnd: this.helperShellEnd,
        neighbors: this.helperNeighbors,
      }, split, n, 0, n, stride)
    }
    let mainPairs: number
    let helperPairs = 0
    try {
      mainPairs = this.searchOnThisThread(0, split, 0, this.start, this.pairedStart, this.shellEnd, 'main')
    } finally {
      if (helper !== null) helperPairs = helper.finish()
    }
    if (helper !== null) {
      if (helperPairs < 0) {
        // the helper's buffer was too small: grow it and search that part here
        this.helperNeighbors = this.int32(Math.ceil(-helperPairs * 1.25))
        helperPairs = this.searchOnThisThread(split, n, 0, this.helperStart, this.helperPairedStart, this.helperShellEnd, 'helper')
      }
      // append the helper's part
      const total = mainPairs + helperPairs
      if (this.neighbors.length < total) this.growNeighbors(Math.ceil(total * 1.25), mainPairs)
      this.neighbors.set(this.helperNeighbors.subarray(0, helperPairs), mainPairs)
      const start = this.start
      const helperStart = this.helperStart
      for (let h = split; h <= n; h++) start[h] = helperStart[h] + mainPairs
      const pairedStart = this.pairedStart
      const helperPairedStart = this.helperPairedStart
      for (let h = split; h < n; h++) pairedStart[h] = helperPairedStart[h] + mainPairs
      const shellEnd = this.shellEnd
      const helperShellEnd = this.helperShellEnd
      for (let k = 4 * split; k < 4 * n; k++) shellEnd[k] = helperShellEnd[k] + mainPairs
      mainPairs = total
      // next time, split where half of the pairs are
      this.searchSplit = homeIndexAtPair(start, n, total >>> 1)
    }
    this.pairCount = mainPairs
  }

  /** searchPairRange on this thread into the main list or the helper's, growing it when full. Returns the end offset. */
  private searchOnThisThread (homeFrom: number, homeTo: number, firstPair: number, start: Int32Array, pairedStart: Int32Array,
    shellEnd: Int32Array, into: 'main' | 'helper'): number {
    for (;;) {
      const neighbors = into === 'main' ? this.neighbors : this.helperNeighbors
      const result = searchPairRangeInChunks(homeFrom, homeTo, firstPair, this.homeImage, this.imageAtom, this.xyz, this.cellStart,
        this.grid, this.exclusionStart, this.exclusionPartners, this.hasLennardJones, this.stamp, start, pairedStart, shellEnd, neighbors,
        this.scratch, this.scratchDistance2, this.imageCount)
      if (result >= 0) return result
      const capacity = Math.max(1024, Math.ceil(-result * 1.25))
      if (into === 'main') this.growNeighbors(capacity, 0)
      else this.helperNeighbors = this.int32(capacity)
    }
  }

  private growNeighbors (capacity: number, keep: number): void {
    const grown = this.int32(capacity)
    if (keep > 0) grown.set(this.neighbors.subarray(0, keep))
    this.neighbors = grown
  }

  private int32 (length: number): Int32Array {
    return this.shared ? sharedInt32(length) : new Int32Array(Math.max(1, length))
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

function cellsAlong (extent: number, cellTarget: number): number {
  return !(extent < Infinity) ? 1 : Math.max(1, Math.min(1 << 20, Math.floor(extent / cellTarget)))
}

/** Appends the images of all atoms under lattice shift `code` that fall in [low, high). Returns the new count. */
function appendGhosts (n: number, code: number, sx: number, sy: number, sz: number,
  lowX: number, lowY: number, lowZ: number, highX: number, highY: number, highZ: number,
  rawX: Float64Array, rawY: Float64Array, rawZ: Float64Array, rawAtom: Int32Array, rawShift: Uint8Array, count: number): number {
  for (let i = 0; i < n; i++) {
    const z = rawZ[i] + sz
    if (z < lowZ || z >= highZ) continue
    const y = rawY[i] + sy
    if (y < lowY || y >= highY) continue
    const x = rawX[i] + sx
    if (x < lowX || x >= highX) continue
    rawX[count] = x
    rawY[count] = y
    rawZ[count] = z
    rawAtom[count] = i
    rawShift[count] = code
    count++
  }
  return count
}

/** Sorts images by cell (z fastest; real atoms before ghosts within a cell). */
function countingSortByCell (n: number, imageCount: number, rawX: Float64Array, rawY: Float64Array, rawZ: Float64Array,
  rawAtom: Int32Array, rawShift: Uint8Array, rawCell: Int32Array, grid: Float64Array, cellStart: Int32Array, cellCount: number,
  imageAtom: Int32Array, imageShift: Uint8Array, xyz: Float64Array): void {
  const lowX = grid[0]; const lowY = grid[1]; const lowZ = grid[2]
  const inverseX = grid[3]; const inverseY = grid[4]; const inverseZ = grid[5]
  const cellsX = grid[9]; const cellsY = grid[10]; const cellsZ = grid[11]
  cellStart.fill(0, 0, cellCount + 1)
  for (let m = 0; m < imageCount; m++) {
    let cx = Math.floor((rawX[m] - lowX) * inverseX)
    let cy = Math.floor((rawY[m] - lowY) * inverseY)
    let cz = Math.floor((rawZ[m] - lowZ) * inverseZ)
    // (written so that NaN lands in cell 0 rather than off the grid)
    if (!(cx >= 0)) cx = 0; else if (cx >= cellsX) cx = cellsX - 1
    if (!(cy >= 0)) cy = 0; else if (cy >= cellsY) cy = cellsY - 1
    if (!(cz >= 0)) cz = 0; else if (cz >= cellsZ) cz = cellsZ - 1
    const cell = (cx * cellsY + cy) * cellsZ + cz
    rawCell[m] = cell
    cellStart[cell + 1]++
  }
  for (let c = 0; c < cellCount; c++) cellStart[c + 1] += cellStart[c]
  // scatter with cellStart[c] as the fill pointer of cell c, then shift back
  for (let m = 0; m < imageCount; m++) {
    const s = cellStart[rawCell[m]]++
    imageAtom[s] = rawAtom[m]
    imageShift[s] = rawShift[m]
    xyz[3 * s] = rawX[m]
    xyz[3 * s + 1] = rawY[m]
    xyz[3 * s + 2] = rawZ[m]
  }
  for (let c = cellCount; c > 0; c--) cellStart[c] = cellStart[c - 1]
  cellStart[0] = 0
  void n
}

/** The first home index h with start[h] >= pair (binary search over the CSR offsets). */
export function homeIndexAtPair (start: Int32Array, homeCount: number, pair: number): number {
  let low = 0
  let high = homeCount
  while (low < high) {
    const middle = (low + high) >>> 1
    if (start[middle] < pair) low = middle + 1
    else high = middle
  }
  return low
}

function copyToShared (array: Int32Array): Int32Array {
  const copy = sharedInt32(array.length)
  copy.set(array)
  return copy
}
