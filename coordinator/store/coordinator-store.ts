/**
 * The coordinator's LevelDB: one database under `<home>/coordinator-db` with a
 * sublevel per kind of record. Every state transition is written as ONE batch
 * (`TransitionBatch`), so a crash leaves either the old or the new state.
 *
 * Group commit: transitions are handed to one writer in order. While a disk
 * write is under way, the batches of later transitions gather and go down
 * together in the next write (synced if any of them asks for it), so many
 * transitions share one fsync. A transition's `write()` resolves once its
 * batch is written. Until then its job and unit records are served from
 * memory (`getJob`, `getUnit`, `unitsOfJob`, `allJobs`), so the next
 * transition already sees them; iterators over the other sublevels see the
 * database only. Recently read or written job and unit records stay in
 * memory too (this process is the database's only writer), so the queue
 * reads them without a database round trip. Records are never changed in
 * place: every change writes a new object.
 *
 * Sublevels (keys → values):
 *   jobs    jobId → JobRecord (json)
 *   units   unitId → UnitRecord (json)
 *   ready   readyKey(priority, queuedAt, unitId) → unitId   (queued units, claim order)
 *   leases  unitId → LeaseRecord (json)                     (leased units, for the sweeper)
 *   chunks  chunkKey(jobId, firstFrame) → StoredChunk bytes
 *   blobs   sha256 hex → bytes                              (content-addressed payloads, checkpoints)
 *   events  eventKey(jobId, seq) → EventRecord (json)
 *   meta    name → json (event sequence, ...)
 */
import { Level } from 'level'
import type { EventRecord, JobRecord, LeaseRecord, UnitRecord } from './records.ts'
import { chunkKey, eventKey, readyKey } from './keys.ts'
import { ReadyIndex } from './ready-index.ts'

type Bytes = Uint8Array

/** One put or del of a batch, in abstract-level's array form. */
interface BatchOp {
  readonly type: 'put' | 'del'
  readonly sublevel: unknown
  readonly key: string
  readonly value?: unknown
}

/** Marks a record deleted by a batch not written yet. */
const DELETED = Symbol('deleted')
type Staged<T> = T | typeof DELETED

interface CommitGroup {
  readonly ops: BatchOp[]
  sync: boolean
  readonly done: Promise<void>
  readonly settle: (err?: Error) => void
}

function newGroup (): CommitGroup {
  let settle!: (err?: Error) => void
  const done = new Promise<void>((resolve, reject) => { settle = (err) => { if (err === undefined) resolve(); else reject(err) } })
  done.catch(() => {})
  return { ops: [], sync: false, done, settle }
}

export class CoordinatorStore {
  readonly db: Level<string, unknown>
  readonly jobs
  readonly units
  readonly ready
  readonly leases
  readonly chunks
  readonly blobs
  readonly events
  readonly meta
  private eventSeq = 0
  /** Job and unit records of batches not written yet (newest staged value). */
  private readonly stagedJobs = new Map<string, Staged<JobRecord>>()
  private readonly stagedUnits = new Map<string, Staged<UnitRecord>>()
  /** Written job and unit records recently used (most recent last). */
  private readonly cachedJobs = new RecordCache<JobRecord>(MAX_CACHED_RECORDS)
  private readonly cachedUnits = new RecordCache<UnitRecord>(MAX_CACHED_RECORDS)
  /** The `ready` sublevel in memory, updated as batches are handed over (claims never read the database for it). */
  private readonly readyIndex = new ReadyIndex()
  /** Batches waiting for the writer. */
  private gathering: CommitGroup | null = null
  private writing = false
  /** Writes so far (for tests and benchmarks): database writes and the transitions they carried. */
  readonly commitStats = { writes: 0, syncedWrites: 0, transitions: 0 }

  private constructor (db: Level<string, unknown>) {
    this.db = db
    this.jobs = db.sublevel<string, JobRecord>('jobs', { valueEncoding: 'json' })
    this.units = db.sublevel<string, UnitRecord>('units', { valueEncoding: 'json' })
    this.ready = db.sublevel<string, string>('ready', { valueEncoding: 'utf8' })
    this.leases = db.sublevel<string, LeaseRecord>('leases', { valueEncoding: 'json' })
    this.chunks = db.sublevel<string, Bytes>('chunks', { valueEncoding: 'view' })
    this.blobs = db.sublevel<string, Bytes>('blobs', { valueEncoding: 'view' })
    this.events = db.sublevel<string, EventRecord>('events', { valueEncoding: 'json' })
    this.meta = db.sublevel<string, unknown>('meta', { valueEncoding: 'json' })
  }

  /** Opens (creating if needed) the database in `directory`. */
  static async open (directory: string): Promise<CoordinatorStore> {
    const db = new Level<string, unknown>(directory, { valueEncoding: 'json' })
    await db.open()
    const store = new CoordinatorStore(db)
    const seq = await store.meta.get('eventSeq')
    store.eventSeq = typeof seq === 'number' ? seq : 0
    await store.loadReadyIndex()
    return store
  }

  private async loadReadyIndex (): Promise<void> {
    const fresh = new ReadyIndex()
    for await (const [key, unitId] of this.ready.iterator()) fresh.add(key, unitId)
    // Batches handed over but not written yet are newer than what the database holds.
    for (const op of this.gathering?.ops ?? []) {
      if (op.sublevel !== this.ready) continue
      if (op.type === 'put') fresh.add(op.key, op.value as string)
      else fresh.remove(op.key)
    }
    this.readyIndex.replaceWith(fresh)
  }

  /** Queued unit ids in claim order (priority, then age), from memory. */
  readyUnitIds (): Iterable<string> {
    return this.readyIndex.unitIds()
  }

  async close (): Promise<void> {
    await this.flushed()
    await this.db.close()
  }

  /** Resolves once every batch handed over so far is written. */
  async flushed (): Promise<void> {
    while (this.writing || this.gathering !== null) {
      const pending = this.gathering ?? null
      if (pending !== null) await pending.done.catch(() => {})
      else await new Promise(resolve => setImmediate(resolve))
    }
  }

  /**
   * @internal Hands one transition's operations to the writer; resolves once
   * they are written (synced when `sync`).
   */
  commit (ops: BatchOp[], sync: boolean): Promise<void> {
    for (const op of ops) {
      if (op.sublevel === this.units) this.stagedUnits.set(op.key, op.type === 'put' ? op.value as UnitRecord : DELETED)
      else if (op.sublevel === this.jobs) this.stagedJobs.set(op.key, op.type === 'put' ? op.value as JobRecord : DELETED)
      else if (op.sublevel === this.ready) {
        if (op.type === 'put') this.readyIndex.add(op.key, op.value as string)
        else this.readyIndex.remove(op.key)
      }
    }
    const group = this.gathering ??= newGroup()
    for (const op of ops) group.ops.push(op)
    group.sync ||= sync
    this.commitStats.transitions += 1
    if (!this.writing) void this.writeGroups()
    return group.done
  }

  private async writeGroups (): Promise<void> {
    this.writing = true
    try {
      while (this.gathering !== null) {
        const group = this.gathering
        this.gathering = null
        let failure: Error | undefined
        try {
          if (group.ops.length > 0) await this.db.batch(group.ops as never, { sync: group.sync } as never)
          this.commitStats.writes += 1
          if (group.sync) this.commitStats.syncedWrites += 1
        } catch (err) {
          failure = err as Error
        }
        // Written (or failed): reads go to the database again, unless a later batch staged a newer value.
        for (const op of group.ops) {
          if (op.sublevel === this.units) unstage(this.stagedUnits, this.cachedUnits, op, failure)
          else if (op.sublevel === this.jobs) unstage(this.stagedJobs, this.cachedJobs, op, failure)
        }
        // A failed write leaves the database as it was: the claim order is read back from it.
        if (failure !== undefined && group.ops.some(op => op.sublevel === this.ready)) await this.loadReadyIndex().catch(() => {})
        group.settle(failure)
      }
    } finally {
      this.writing = false
    }
  }

  /** Starts a batch for one transition. */
  batch (): TransitionBatch {
    return new TransitionBatch(this)
  }

  /** @internal */
  nextEventSeq (): number {
    this.eventSeq += 1
    return this.eventSeq
  }

  async getJob (jobId: string): Promise<JobRecord | undefined> {
    return await readRecord(jobId, this.stagedJobs, this.cachedJobs, async (key) => await this.jobs.get(key))
  }

  async getUnit (unitId: string): Promise<UnitRecord | undefined> {
    return await readRecord(unitId, this.stagedUnits, this.cachedUnits, async (key) => await this.units.get(key))
  }

  async allJobs (): Promise<JobRecord[]> {
    const byId = new Map<string, JobRecord>()
    for await (const value of this.jobs.values()) byId.set(value.id, value)
    return withStaged(byId, this.stagedJobs, () => true)
  }

  async unitsOfJob (jobId: string): Promise<UnitRecord[]> {
    const byId = new Map<string, UnitRecord>()
    for await (const value of this.units.values({ gte: `${jobId}.`, lt: `${jobId}.~` })) byId.set(value.unitId, value)
    return withStaged(byId, this.stagedUnits, (unitId) => unitId.startsWith(`${jobId}.`)).sort((a, b) => a.segmentIndex - b.segmentIndex)
  }

  async eventsOfJob (jobId: string, limit = 1000): Promise<EventRecord[]> {
    const out: EventRecord[] = []
    for await (const value of this.events.values({ gte: `${jobId}!`, lt: `${jobId}!~`, reverse: true, limit })) out.push(value)
    return out.reverse()
  }
}

/** Records kept in memory */
const MAX_CACHED_RECORDS = 20_000

/** A bounded map, least recently used out first. */
class RecordCache<T> {
  private readonly map = new Map<string, T>()
  private readonly max: number
  constructor (max: number) { this.max = max }

  get (key: string): T | undefined {
    const value = this.map.get(key)
    if (value !== undefined) {
      this.map.delete(key)
      this.map.set(key, value)
    }
    return value
  }

  set (key: string, value: T): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next()
      if (oldest.done !== true) this.map.delete(oldest.value)
    }
  }

  delete (key: string): void { this.map.delete(key) }
}

/** A record as the store sees it now: staged (handed over, not yet written) first, then the cache, then the database. */
async function readRecord<T> (key: string, staged: Map<string, Staged<T>>, cache: RecordCache<T>, read: (key: string) => Promise<T | undefined>): Promise<T | undefined> {
  for (;;) {
    const pending = staged.get(key)
    if (pending !== undefined) return pending === DELETED ? undefined : pending
    const cached = cache.get(key)
    if (cached !== undefined) return cached
    const value = await read(key)
    // A write staged or finished while the database was read is newer than what it returned: look again.
    if (staged.has(key) || cache.get(key) !== undefined) continue
    if (value !== undefined) cache.set(key, value)
    return value
  }
}

/** After a write: the record leaves the staged map (unless staged again since) and, written, stays in the cache. */
function unstage<T> (staged: Map<string, Staged<T>>, cache: RecordCache<T>, op: BatchOp, failure: Error | undefined): void {
  const current = staged.get(op.key)
  if (failure !== undefined) {
    cache.delete(op.key)
  } else if (current === undefined || (op.type === 'put' ? current === op.value : current === DELETED)) {
    if (op.type === 'put') cache.set(op.key, op.value as T)
    else cache.delete(op.key)
  }
  if (current !== undefined && (op.type === 'put' ? current === op.value : current === DELETED)) staged.delete(op.key)
}

/** `fromDb` with the staged records applied (those whose key passes `inRange`). */
function withStaged<T> (fromDb: Map<string, T>, staged: Map<string, Staged<T>>, inRange: (key: string) => boolean): T[] {
  for (const [key, value] of staged) {
    if (!inRange(key)) continue
    if (value === DELETED) fromDb.delete(key)
    else fromDb.set(key, value)
  }
  return [...fromDb.values()]
}

/** The writes of one state transition, committed atomically by `write()`. */
export class TransitionBatch {
  private readonly store: CoordinatorStore
  private readonly ops: BatchOp[] = []
  private readonly pendingEvents: EventRecord[] = []
  /** Where in `ops` this batch saves the event counter (once per batch, with its last value). */
  private eventSeqOp = -1

  constructor (store: CoordinatorStore) {
    this.store = store
  }

  putJob (job: JobRecord): this {
    this.ops.push({ type: 'put', sublevel: this.store.jobs, key: job.id, value: job })
    return this
  }

  putUnit (unit: UnitRecord): this {
    this.ops.push({ type: 'put', sublevel: this.store.units, key: unit.unitId, value: unit })
    return this
  }

  /** Adds a queued unit to the claim order. */
  enqueue (unit: UnitRecord): this {
    this.ops.push({ type: 'put', sublevel: this.store.ready, key: readyKey(unit.priority, unit.queuedAt, unit.unitId), value: unit.unitId })
    return this
  }

  dequeue (unit: UnitRecord): this {
    this.ops.push({ type: 'del', sublevel: this.store.ready, key: readyKey(unit.priority, unit.queuedAt, unit.unitId) })
    return this
  }

  putLease (unitId: string, lease: LeaseRecord): this {
    this.ops.push({ type: 'put', sublevel: this.store.leases, key: unitId, value: lease })
    return this
  }

  deleteLease (unitId: string): this {
    this.ops.push({ type: 'del', sublevel: this.store.leases, key: unitId })
    return this
  }

  putChunk (jobId: string, firstFrame: number, stored: Uint8Array): this {
    this.ops.push({ type: 'put', sublevel: this.store.chunks, key: chunkKey(jobId, firstFrame), value: stored })
    return this
  }

  putBlob (hash: string, bytes: Uint8Array): this {
    this.ops.push({ type: 'put', sublevel: this.store.blobs, key: hash, value: bytes })
    return this
  }

  event (event: Omit<EventRecord, 'seq'>): this {
    const seq = this.store.nextEventSeq()
    const record: EventRecord = { ...event, seq }
    this.pendingEvents.push(record)
    this.ops.push({ type: 'put', sublevel: this.store.events, key: eventKey(event.jobId, seq), value: record })
    const seqOp: BatchOp = { type: 'put', sublevel: this.store.meta, key: 'eventSeq', value: seq }
    if (this.eventSeqOp < 0) {
      this.eventSeqOp = this.ops.length
      this.ops.push(seqOp)
    } else {
      this.ops[this.eventSeqOp] = seqOp
    }
    return this
  }

  /** Events added to this batch (for live listeners once written). */
  get events (): readonly EventRecord[] {
    return this.pendingEvents
  }

  /**
   * Hands every write to the store's writer at once (in call order with other
   * transitions; later reads of jobs and units see them at once) and resolves
   * when they are on disk; `sync` forces them to stable storage first
   * (acknowledged chunks).
   */
  async write (options: { sync?: boolean } = {}): Promise<void> {
    await this.store.commit(this.ops, options.sync ?? false)
  }
}
