/**
 * Verlet neighbour list with a skin, built with cell lists, for the
 * nonbonded pair loop. Half list in CSR form: the partners of atom i (all
 * j > i, exclusions left out) are `neighbors[start[i] .. start[i+1])`.
 *
 * Periodic boxes (OpenMM reduced form, rectangular or triclinic): at each
 * build every atom is wrapped into the brick [0,ax) x [0,by) x [0,cz) (a
 * fundamental domain of the lattice), remembering the translation in
 * `wrapShiftNm`; the periodic images of the atoms that fall within
 * cutoff+skin of the brick are added as ghosts, and each real atom looks
 * for partners among real and ghost atoms in the nearby cells. Each pair
 * keeps the one lattice vector (`shiftCode` into `shiftVectorsNm`) of its
 * closest image. Between builds the separation of a pair is
 *   (x_j + wrapShift_j + shift) - (x_i + wrapShift_i),
 * which is exactly OpenMM's minimum image for every pair within the cutoff,
 * because the skin is kept below half of (smallest box width - 2 cutoff), so
 * no two images of a pair can both lie within cutoff+skin.
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

export class NeighborList {
  readonly particleCount: number
  readonly cutoffNm: number
  private readonly requestedSkinNm: number
  private readonly exclusions: ExclusionLists

  /** CSR start offsets, length N+1. */
  start: Int32Array
  /** Partner atom j > i of each pair. */
  neighbors: Int32Array = new Int32Array(0)
  /** Index into shiftVectorsNm (times 3) of each pair. */
  shiftCode: Uint8Array = new Uint8Array(0)
  /** Lattice vectors by shift code, nm, 3 per code. */
  readonly shiftVectorsNm = new Float64Array(3 * SHIFT_COUNT)
  /** Per atom translation (nm) that wrapped it into the brick at the last build (zero without a box). */
  readonly wrapShiftNm: Float64Array
  /** Number of pairs in the list. */
  pairCount = 0
  /** Number of builds so far (for diagnostics and tests). */
  buildCount = 0
  /** Skin used by the last build, nm. */
  skinNm = 0

  private readonly positionsAtBuild: Float64Array
  private readonly boxAtBuild = new Float64Array(9)
  private builtWithBox = false
  private built = false
  private readonly excludedStamp: Int32Array
  // Image buffers (real atoms and ghosts), grown as needed.
  private imageX = new Float64Array(0)
  private imageY = new Float64Array(0)
  private imageZ = new Float64Array(0)
  private imageAtom = new Int32Array(0)
  private imageShift = new Uint8Array(0)
  private imageCell = new Int32Array(0)
  private sortedImages = new Int32Array(0)
  private cellStart = new Int32Array(0)
  private readonly atomCell: Int32Array
  private cellOffsets = new Int32Array(0)

  constructor (particleCount: number, cutoffNm: number, exclusions: ExclusionLists, skinNm = DEFAULT_NEIGHBOR_SKIN_NM) {
    this.particleCount = particleCount
    this.cutoffNm = cutoffNm
    this.requestedSkinNm = skinNm
    this.exclusions = exclusions
    this.start = new Int32Array(particleCount + 1)
    this.wrapShiftNm = new Float64Array(3 * particleCount)
    this.positionsAtBuild = new Float64Array(3 * particleCount)
    this.excludedStamp = new Int32Array(particleCount).fill(-1)
    this.atomCell = new Int32Array(particleCount)
  }

  /** Rebuilds the list when needed. Returns true when it did. `box` null: no periodicity. */
  update (positionsNm: Float64Array, box: BoxVectors | null): boolean {
    if (!this.needsBuild(positionsNm, box)) return false
    this.build(positionsNm, box)
    return true
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
      // also catches NaN positions (comparison false) by rebuilding only on a real move
      if (dx * dx + dy * dy + dz * dz > limit2) return true
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
      const widest = 0.5 * Math.min(box[0], box[4], box[8]) - cutoff
      skin = Math.max(0, Math.min(skin, 0.99 * widest))
    }
    this.skinNm = skin
    const reach = cutoff + skin
    const reach2 = reach * reach

    // Lattice vectors by shift code.
    const shifts = this.shiftVectorsNm
    for (let na = -A_RANGE; na <= A_RANGE; na++) {
      for (let nb = -B_RANGE; nb <= B_RANGE; nb++) {
        for (let nc = -C_RANGE; nc <= C_RANGE; nc++) {
          const code = ((na + A_RANGE) * (2 * B_RANGE + 1) + nb + B_RANGE) * (2 * C_RANGE + 1) + nc + C_RANGE
          if (box === null) {
            shifts[3 * code] = 0; shifts[3 * code + 1] = 0; shifts[3 * code + 2] = 0
          } else {
            shifts[3 * code] = na * box[0] + nb * box[3] + nc * box[6]
            shifts[3 * code + 1] = nb * box[4] + nc * box[7]
            shifts[3 * code + 2] = nc * box[8]
          }
        }
      }
    }

    // Wrap real atoms into the brick (periodic) and find the region to grid.
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
      }
      lowX = -reach; lowY = -reach; lowZ = -reach
      highX = box[0] + reach; highY = box[4] + reach; highZ = box[8] + reach
    } else {
      wrap.fill(0)
      lowX = Infinity; lowY = Infinity; lowZ = Infinity
      highX = -Infinity; highY = -Infinity; highZ = -Infinity
      for (let i3 = 0; i3 < 3 * n; i3 += 3) {
        const x = positionsNm[i3]; const y = positionsNm[i3 + 1]; const z = positionsNm[i3 + 2]
        if (x < lowX) lowX = x
        if (x > highX) highX = x
        if (y < lowY) lowY = y
        if (y > highY) highY = y
        if (z < lowZ) lowZ = z
        if (z > highZ) highZ = z
      }
      if (!(highX >= lowX)) { lowX = 0; highX = 0; lowY = 0; highY = 0; lowZ = 0; highZ = 0 }
    }

    // Images: real atoms first (zero shift), then ghosts inside the grown brick.
    let imageCount = 0
    this.ensureImageCapacity(n)
    for (let i = 0; i < n; i++) {
      const i3 = 3 * i
      this.imageX[imageCount] = positionsNm[i3] + wrap[i3]
      this.imageY[imageCount] = positionsNm[i3 + 1] + wrap[i3 + 1]
      this.imageZ[imageCount] = positionsNm[i3 + 2] + wrap[i3 + 2]
      this.imageAtom[imageCount] = i
      this.imageShift[imageCount] = ZERO_SHIFT_CODE
      imageCount++
    }
    if (box !== null) {
      for (let code = 0; code < SHIFT_COUNT; code++) {
        if (code === ZERO_SHIFT_CODE) continue
        const sx = shifts[3 * code]; const sy = shifts[3 * code + 1]; const sz = shifts[3 * code + 2]
        for (let i = 0; i < n; i++) {
          const x = this.imageX[i] + sx
          const y = this.imageY[i] + sy
          const z = this.imageZ[i] + sz
          if (x < lowX || x >= highX || y < lowY || y >= highY || z < lowZ || z >= highZ) continue
          if (imageCount >= this.imageX.length) this.ensureImageCapacity(2 * imageCount)
          this.imageX[imageCount] = x
          this.imageY[imageCount] = y
          this.imageZ[imageCount] = z
          this.imageAtom[imageCount] = i
          this.imageShift[imageCount] = code
          imageCount++
        }
      }
    }

    // Cell grid over [low, high].
    // (never more cells than a few per image, so sparse non-periodic systems stay cheap)
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
    if (this.cellStart.length < cellCount + 1) this.cellStart = new Int32Array(cellCount + 1)
    const cellStart = this.cellStart
    cellStart.fill(0, 0, cellCount + 1)
    const imageCell = this.imageCell
    for (let m = 0; m < imageCount; m++) {
      let cx = Math.floor((this.imageX[m] - lowX) / cellWidthX)
      let cy = Math.floor((this.imageY[m] - lowY) / cellWidthY)
      let cz = Math.floor((this.imageZ[m] - lowZ) / cellWidthZ)
      // (written so that NaN lands in cell 0 rather than off the grid)
      if (!(cx >= 0)) cx = 0; else if (cx >= cellsX) cx = cellsX - 1
      if (!(cy >= 0)) cy = 0; else if (cy >= cellsY) cy = cellsY - 1
      if (!(cz >= 0)) cz = 0; else if (cz >= cellsZ) cz = cellsZ - 1
      const cell = (cx * cellsY + cy) * cellsZ + cz
      imageCell[m] = cell
      if (m < n) this.atomCell[m] = cell
      cellStart[cell + 1]++
    }
    for (let c = 0; c < cellCount; c++) cellStart[c + 1] += cellStart[c]
    const sorted = this.sortedImages
    // counting sort, reusing imageCell's slot order
    const fill = this.cellFillScratch(cellCount)
    fill.set(cellStart.subarray(0, cellCount))
    for (let m = 0; m < imageCount; m++) sorted[fill[imageCell[m]]++] = m

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

    // Pairs, atom by atom.
    const start = this.start
    const stamp = this.excludedStamp
    stamp.fill(-1)
    const { start: exclusionStart, partners } = this.exclusions
    let pairCount = 0
    for (let i = 0; i < n; i++) {
      start[i] = pairCount
      for (let e = exclusionStart[i]; e < exclusionStart[i + 1]; e++) stamp[partners[e]] = i
      const xi = this.imageX[i]; const yi = this.imageY[i]; const zi = this.imageZ[i]
      const cell = this.atomCell[i]
      const cz = cell % cellsZ
      const cy = ((cell - cz) / cellsZ) % cellsY
      const cx = (cell - cz - cy * cellsZ) / (cellsZ * cellsY)
      for (let o = 0; o < offsetCount; o++) {
        const nx = cx + offsets[3 * o]
        const ny = cy + offsets[3 * o + 1]
        const nz = cz + offsets[3 * o + 2]
        if (nx < 0 || nx >= cellsX || ny < 0 || ny >= cellsY || nz < 0 || nz >= cellsZ) continue
        const other = (nx * cellsY + ny) * cellsZ + nz
        const end = cellStart[other + 1]
        for (let s = cellStart[other]; s < end; s++) {
          const m = sorted[s]
          const j = this.imageAtom[m]
          if (j <= i || stamp[j] === i) continue
          const dx = this.imageX[m] - xi
          const dy = this.imageY[m] - yi
          const dz = this.imageZ[m] - zi
          if (dx * dx + dy * dy + dz * dz >= reach2) continue
          if (pairCount >= this.neighbors.length) this.growPairs(Math.max(1024, 2 * pairCount))
          this.neighbors[pairCount] = j
          this.shiftCode[pairCount] = this.imageShift[m]
          pairCount++
        }
      }
    }
    start[n] = pairCount
    this.pairCount = pairCount
  }

  private fillScratch = new Int32Array(0)
  private cellFillScratch (cellCount: number): Int32Array {
    if (this.fillScratch.length < cellCount) this.fillScratch = new Int32Array(cellCount)
    return this.fillScratch
  }

  private ensureImageCapacity (capacity: number): void {
    if (this.imageX.length >= capacity) return
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(old: T, make: (size: number) => T): T => {
      const next = make(capacity)
      next.set(old as never)
      return next
    }
    this.imageX = grow(this.imageX, (s) => new Float64Array(s))
    this.imageY = grow(this.imageY, (s) => new Float64Array(s))
    this.imageZ = grow(this.imageZ, (s) => new Float64Array(s))
    this.imageAtom = grow(this.imageAtom, (s) => new Int32Array(s))
    this.imageShift = grow(this.imageShift, (s) => new Uint8Array(s))
    this.imageCell = new Int32Array(capacity)
    this.sortedImages = new Int32Array(capacity)
  }

  private growPairs (capacity: number): void {
    const neighbors = new Int32Array(capacity)
    neighbors.set(this.neighbors)
    const shiftCode = new Uint8Array(capacity)
    shiftCode.set(this.shiftCode)
    this.neighbors = neighbors
    this.shiftCode = shiftCode
  }
}
