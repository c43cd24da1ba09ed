/**
 * The coordinator's LevelDB: one database under `<home>/coordinator-db` with a
 * sublevel per kind of record. Every state transition is written as ONE batch
 * (`TransitionBatch`), so a crash leaves either the old or the new state.
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

type Bytes = Uint8Array

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
    return store
  }

  async close (): Promise<void> {
    await this.db.close()
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
    return await this.jobs.get(jobId)
  }

  async getUnit (unitId: string): Promise<UnitRecord | undefined> {
    return await this.units.get(unitId)
  }

  async allJobs (): Promise<JobRecord[]> {
    const out: JobRecord[] = []
    for await (const value of this.jobs.values()) out.push(value)
    return out
  }

  async unitsOfJob (jobId: string): Promise<UnitRecord[]> {
    const out: UnitRecord[] = []
    for await (const value of this.units.values({ gte: `${jobId}.`, lt: `${jobId}.~` })) out.push(value)
    return out.sort((a, b) => a.segmentIndex - b.segmentIndex)
  }

  async eventsOfJob (jobId: string, limit = 1000): Promise<EventRecord[]> {
    const out: EventRecord[] = []
    for await (const value of this.events.values({ gte: `${jobId}!`, lt: `${jobId}!~`, reverse: true, limit })) out.push(value)
    return out.reverse()
  }
}

/** The writes of one state transition, committed atomically by `write()`. */
export class TransitionBatch {
  private readonly store: CoordinatorStore
  private readonly batch
  private readonly pendingEvents: EventRecord[] = []

  constructor (store: CoordinatorStore) {
    this.store = store
    this.batch = store.db.batch()
  }

  putJob (job: JobRecord): this {
    this.batch.put(job.id, job, { sublevel: this.store.jobs as never })
    return this
  }

  putUnit (unit: UnitRecord): this {
    this.batch.put(unit.unitId, unit, { sublevel: this.store.units as never })
    return this
  }

  /** Adds a queued unit to the claim order. */
  enqueue (unit: UnitRecord): this {
    this.batch.put(readyKey(unit.priority, unit.queuedAt, unit.unitId), unit.unitId, { sublevel: this.store.ready as never })
    return this
  }

  dequeue (unit: UnitRecord): this {
    this.batch.del(readyKey(unit.priority, unit.queuedAt, unit.unitId), { sublevel: this.store.ready as never })
    return this
  }

  putLease (unitId: string, lease: LeaseRecord): this {
    this.batch.put(unitId, lease, { sublevel: this.store.leases as never })
    return this
  }

  deleteLease (unitId: string): this {
    this.batch.del(unitId, { sublevel: this.store.leases as never })
    return this
  }

  putChunk (jobId: string, firstFrame: number, stored: Uint8Array): this {
    this.batch.put(chunkKey(jobId, firstFrame), stored, { sublevel: this.store.chunks as never })
    return this
  }

  putBlob (hash: string, bytes: Uint8Array): this {
    this.batch.put(hash, bytes, { sublevel: this.store.blobs as never })
    return this
  }

  event (event: Omit<EventRecord, 'seq'>): this {
    const seq = this.store.nextEventSeq()
    const record: EventRecord = { ...event, seq }
    this.pendingEvents.push(record)
    this.batch.put(eventKey(event.jobId, seq), record, { sublevel: this.store.events as never })
    this.batch.put('eventSeq', seq, { sublevel: this.store.meta as never })
    return this
  }

  /** Events added to this batch (for live listeners once written). */
  get events (): readonly EventRecord[] {
    return this.pendingEvents
  }

  /** Commits every write at once; `sync` forces it to disk before resolving (acknowledged chunks). */
  async write (options: { sync?: boolean } = {}): Promise<void> {
    await this.batch.write({ sync: options.sync ?? false } as never)
  }
}
