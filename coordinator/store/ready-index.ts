/**
 * The claim order in memory: every key of the store's `ready` sublevel
 * (see readyKey: priority, then age, then unit id), sorted as LevelDB sorts
 * them, kept in step with every batch the store is handed. A claim walks
 * it without touching the database; the sublevel stays the durable copy it
 * is rebuilt from when the coordinator starts.
 *
 * @example
 * const index = new ReadyIndex()
 * index.add(readyKey(0, 1700000000000, 'j1.0'), 'j1.0')
 * for (const unitId of index.unitIds()) ... // best first
 */
export class ReadyIndex {
  /** Keys in ascending order (the claim order). */
  private readonly keys: string[] = []
  private readonly unitOf = new Map<string, string>()

  get size (): number { return this.keys.length }

  add (key: string, unitId: string): void {
    if (this.unitOf.has(key)) { this.unitOf.set(key, unitId); return }
    this.unitOf.set(key, unitId)
    const keys = this.keys
    // New work usually goes to the back (oldest first within a priority).
    if (keys.length === 0 || keys[keys.length - 1] < key) { keys.push(key); return }
    keys.splice(this.position(key), 0, key)
  }

  /** Takes over `other`'s entries (after reading the order back from the database). */
  replaceWith (other: ReadyIndex): void {
    this.keys.length = 0
    for (const key of other.keys) this.keys.push(key)
    this.unitOf.clear()
    for (const [key, unitId] of other.unitOf) this.unitOf.set(key, unitId)
  }

  remove (key: string): void {
    if (!this.unitOf.delete(key)) return
    const keys = this.keys
    // Claims usually take the front.
    if (keys[0] === key) { keys.shift(); return }
    const at = this.position(key)
    if (keys[at] === key) keys.splice(at, 1)
  }

  /**
   * Unit ids best first. Walks the live order: an entry removed behind the
   * walk does not disturb it, so a caller may lease (remove) the unit it is
   * looking at and go on.
   */
  * unitIds (): Generator<string> {
    let last: string | null = null
    for (let i = 0; ; ) {
      const keys = this.keys
      if (last !== null) {
        // Resume just after the last key seen, wherever it now sits.
        i = this.position(last)
        if (keys[i] === last) i += 1
      }
      if (i >= keys.length) return
      last = keys[i]
      yield this.unitOf.get(last)!
    }
  }

  /** First index whose key is ≥ `key` (binary search). */
  private position (key: string): number {
    const keys = this.keys
    let lo = 0
    let hi = keys.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (keys[mid] < key) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
