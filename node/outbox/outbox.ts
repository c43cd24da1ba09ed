/**
 * The node's durable outbox: chunks are written here before they are sent
 * and deleted only when the coordinator acknowledges them; unit records say
 * what the node was doing, so a restarted node resends what was not
 * acknowledged (in frame order) and resumes unfinished units from their last
 * local checkpoint. Every state change is one LevelDB batch. Unit records and
 * the keys of unacknowledged chunks are also kept in memory (this process is
 * the only writer), so reading them costs no database scan.
 *
 * @example
 * const outbox = await Outbox.open(home)
 * await outbox.beginUnit(record)
 * await outbox.addChunk(unitId, { message, checkpoint }, { resumeCheckpoint, resumeStep, nextFrame, engineMs })
 * for (const chunk of await outbox.pendingChunks(unitId, attempt)) { ... await outbox.ackChunk(chunk.message) }
 */
import path from 'node:path'
import { Level } from 'level'
import { encode, decode } from 'cborg'
import type { ChunkMessage } from '../../src/wire/messages.ts'
import type { OutboxChunk, UnitRecord } from './records.ts'

export type { OutboxChunk, UnitRecord, UnitPhase } from './records.ts'

type Db = Level<string, Uint8Array>
type Sub = ReturnType<Db['sublevel']> & { put: (k: string, v: Uint8Array) => Promise<void> }

/** Unit IDs are validated by the wire layer; the NUL separator cannot occur in them. */
const SEPARATOR = '\u0000'
const FRAME_DIGITS = 12

function chunkPrefix (unitId: string, attempt: number): string {
  return `${unitId}${SEPARATOR}${attempt}${SEPARATOR}`
}

function chunkKey (message: Pick<ChunkMessage, 'unitId' | 'attempt' | 'firstFrame'>): string {
  return chunkPrefix(message.unitId, message.attempt) + String(message.firstFrame).padStart(FRAME_DIGITS, '0')
}

/** Records are CBOR (byte strings stay Uint8Array); undefined fields are left out. */
function encodeValue (value: object): Uint8Array {
  return encode(Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)))
}

function decodeValue<T> (bytes: Uint8Array): T {
  return decode(bytes) as T
}

export class Outbox {
  private readonly db: Db
  private readonly units: Sub
  private readonly chunks: Sub
  /** Every unit record, as last written (loaded at open). */
  private readonly records = new Map<string, UnitRecord>()
  /** Keys of the stored chunks, by unit ID (every attempt). */
  private readonly chunkKeys = new Map<string, Set<string>>()
  /**
   * The writes, one after another: a unit dropped (cancelled, lease lost) while its run's chunk write is in flight
   * must not leave that chunk on disk, or see its record written back after the delete.
   */
  private writes: Promise<unknown> = Promise.resolve()

  private constructor (db: Db) {
    this.db = db
    this.units = db.sublevel<string, Uint8Array>('units', { valueEncoding: 'view' }) as unknown as Sub
    this.chunks = db.sublevel<string, Uint8Array>('chunks', { valueEncoding: 'view' }) as unknown as Sub
  }

  /** Opens (creating) the outbox database under `<home>/node-db`. */
  static async open (home: string): Promise<Outbox> {
    const db = new Level<string, Uint8Array>(path.join(home, 'node-db'), { valueEncoding: 'view' })
    await db.open()
    const outbox = new Outbox(db)
    for await (const [, value] of outbox.units.iterator()) {
      const record = decodeValue<UnitRecord>(value as Uint8Array)
      outbox.records.set(record.unit.unitId, record)
    }
    for await (const key of outbox.chunks.keys()) outbox.noteChunkKey(key as string)
    return outbox
  }

  /** Closes the database after the writes already handed over. */
  async close (): Promise<void> {
    await this.writes
    await this.db.close()
  }

  /** Runs `write` after every write handed over before it. */
  private serially<T> (write: () => Promise<T>): Promise<T> {
    const done = this.writes.then(write, write)
    this.writes = done.catch(() => undefined)
    return done
  }

  async beginUnit (record: UnitRecord): Promise<void> {
    await this.serially(async () => await this.beginUnitNow(record))
  }

  private async beginUnitNow (record: UnitRecord): Promise<void> {
    // A fresh lease replaces whatever an older attempt of the same unit left behind.
    const stale = [...this.chunkKeys.get(record.unit.unitId) ?? []]
    await this.db.batch([
      ...stale.map(key => ({ type: 'del' as const, sublevel: this.chunks, key })),
      { type: 'put', sublevel: this.units, key: record.unit.unitId, value: encodeValue(record) }
    ] as never)
    this.chunkKeys.delete(record.unit.unitId)
    this.records.set(record.unit.unitId, record)
  }

  async getUnit (unitId: string): Promise<UnitRecord | undefined> {
    return this.records.get(unitId)
  }

  /** Every unit record, in unit ID order. */
  async allUnits (): Promise<UnitRecord[]> {
    return [...this.records.values()].sort((a, b) => a.unit.unitId < b.unit.unitId ? -1 : a.unit.unitId > b.unit.unitId ? 1 : 0)
  }

  /** Persists one chunk together with the unit's new resume point, atomically. */
  async addChunk (chunk: OutboxChunk, progress: Pick<UnitRecord, 'resumeCheckpoint' | 'resumeStep' | 'nextFrame' | 'engineMs'>): Promise<void> {
    await this.serially(async () => await this.addChunkNow(chunk, progress))
  }

  private async addChunkNow (chunk: OutboxChunk, progress: Pick<UnitRecord, 'resumeCheckpoint' | 'resumeStep' | 'nextFrame' | 'engineMs'>): Promise<void> {
    const record = await this.requireUnit(chunk.message.unitId)
    const updated: UnitRecord = { ...record, ...progress }
    await this.putChunkWithRecord(chunk, updated)
    this.records.set(chunk.message.unitId, updated)
  }

  /** Records the unit's end; its last chunk (`lastChunk`, ending at frame `nextFrame`) may be stored in the same write. */
  async finishUnit (unitId: string, final: NonNullable<UnitRecord['final']>, engineMs: number, lastChunk?: { chunk: OutboxChunk, nextFrame: number }): Promise<void> {
    await this.serially(async () => await this.finishUnitNow(unitId, final, engineMs, lastChunk))
  }

  private async finishUnitNow (unitId: string, final: NonNullable<UnitRecord['final']>, engineMs: number, lastChunk?: { chunk: OutboxChunk, nextFrame: number }): Promise<void> {
    const record = await this.requireUnit(unitId)
    const updated: UnitRecord = { ...record, phase: 'finished', final, engineMs, resumeCheckpoint: final.checkpoint, resumeStep: final.step, ...(lastChunk !== undefined ? { nextFrame: lastChunk.nextFrame } : {}) }
    if (lastChunk === undefined) await this.units.put(unitId, encodeValue(updated))
    else await this.putChunkWithRecord(lastChunk.chunk, updated)
    this.records.set(unitId, updated)
  }

  /** Writes a chunk and its unit's updated record in one batch. */
  private async putChunkWithRecord (chunk: OutboxChunk, updated: UnitRecord): Promise<void> {
    const key = chunkKey(chunk.message)
    await this.db.batch([
      { type: 'put', sublevel: this.chunks, key, value: encodeValue(chunk) },
      { type: 'put', sublevel: this.units, key: updated.unit.unitId, value: encodeValue(updated) }
    ] as never)
    this.noteChunkKey(key)
  }

  async failUnit (unitId: string, failure: NonNullable<UnitRecord['failure']>): Promise<void> {
    await this.serially(async () => await this.failUnitNow(unitId, failure))
  }

  private async failUnitNow (unitId: string, failure: NonNullable<UnitRecord['failure']>): Promise<void> {
    const record = await this.requireUnit(unitId)
    const updated: UnitRecord = { ...record, phase: 'failed', failure }
    await this.units.put(unitId, encodeValue(updated))
    this.records.set(unitId, updated)
  }

  /** Unacknowledged chunks of one unit attempt, in frame order. */
  async pendingChunks (unitId: string, attempt: number): Promise<OutboxChunk[]> {
    const keys = this.keysOf(unitId, attempt)
    if (keys.length === 0) return []
    const values = await (this.chunks as unknown as { getMany: (keys: string[]) => Promise<Array<Uint8Array | undefined>> }).getMany(keys)
    return values.filter((v): v is Uint8Array => v !== undefined).map(v => decodeValue<OutboxChunk>(v))
  }

  async countPendingChunks (unitId: string, attempt: number): Promise<number> {
    return this.keysOf(unitId, attempt).length
  }

  /** The coordinator acknowledged this chunk: forget it. */
  async ackChunk (message: Pick<ChunkMessage, 'unitId' | 'attempt' | 'firstFrame'>): Promise<void> {
    await this.serially(async () => {
      const key = chunkKey(message)
      await this.chunks.del(key)
      this.chunkKeys.get(message.unitId)?.delete(key)
    })
  }

  /** Forgets a unit and every chunk it left (completed, lease lost, or cancelled). */
  async dropUnit (unitId: string): Promise<void> {
    await this.serially(async () => await this.dropUnitNow(unitId))
  }

  private async dropUnitNow (unitId: string): Promise<void> {
    this.records.delete(unitId)
    const keys = [...this.chunkKeys.get(unitId) ?? []]
    this.chunkKeys.delete(unitId)
    await this.db.batch([
      ...keys.map(key => ({ type: 'del' as const, sublevel: this.chunks, key })),
      { type: 'del', sublevel: this.units, key: unitId }
    ] as never)
  }

  private async requireUnit (unitId: string): Promise<UnitRecord> {
    const record = await this.getUnit(unitId)
    if (record === undefined) throw new UnknownUnitError(unitId)
    return record
  }

  private noteChunkKey (key: string): void {
    const unitId = key.slice(0, key.indexOf(SEPARATOR))
    let keys = this.chunkKeys.get(unitId)
    if (keys === undefined) this.chunkKeys.set(unitId, keys = new Set())
    keys.add(key)
  }

  /** Keys of the stored chunks of one unit attempt, in frame order. */
  private keysOf (unitId: string, attempt: number): string[] {
    const prefix = chunkPrefix(unitId, attempt)
    return [...this.chunkKeys.get(unitId) ?? []].filter(key => key.startsWith(prefix)).sort()
  }
}

/** The outbox has no record of this unit (it was dropped or never begun). */
export class UnknownUnitError extends Error {
  constructor (unitId: string) {
    super(`The node holds no record of work unit ${unitId}.`)
    this.name = 'UnknownUnitError'
  }
}
