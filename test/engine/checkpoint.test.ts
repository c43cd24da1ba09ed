import test from 'ava'
import { decodeCheckpoint, encodeCheckpoint, crc32, type Checkpoint } from '../../src/engine/checkpoint.ts'
import { Rng } from '../../src/engine/rng.ts'

function sampleCheckpoint (particleCount: number, withBox: boolean, withRng: boolean): Checkpoint {
  const rng = new Rng(particleCount)
  const positionsNm = Float64Array.from({ length: 3 * particleCount }, () => rng.nextGaussian())
  const velocitiesNmPerPs = Float64Array.from({ length: 3 * particleCount }, () => rng.nextGaussian())
  return {
    particleCount,
    positionsNm,
    velocitiesNmPerPs,
    box: withBox ? Float64Array.of(2.5, 0, 0, 0.3, 2.4, 0, -0.2, 0.1, 2.3) : null,
    step: 123456789012,
    timePs: 246913.578024,
    rngState: withRng ? rng.state() : null,
  }
}

function isCheckpointError (t: import('ava').ExecutionContext, bytes: Uint8Array, why: string): void {
  const error = t.throws(() => decodeCheckpoint(bytes), undefined, why)
  t.is(error?.name, 'CheckpointError', why)
}

test('round trip keeps every value bit for bit', t => {
  for (const [withBox, withRng] of [[false, false], [true, false], [false, true], [true, true]]) {
    const original = sampleCheckpoint(17, withBox, withRng)
    const decoded = decodeCheckpoint(encodeCheckpoint(original))
    t.deepEqual(decoded, original)
  }
  const empty = sampleCheckpoint(0, false, false)
  t.deepEqual(decodeCheckpoint(encodeCheckpoint(empty)), empty)
})

test('CRC-32 is the IEEE one (zlib/PNG check value)', t => {
  t.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926)
})

test('decodes from a view into a larger buffer', t => {
  const bytes = encodeCheckpoint(sampleCheckpoint(3, true, true))
  const padded = new Uint8Array(bytes.length + 11)
  padded.set(bytes, 5)
  t.deepEqual(decodeCheckpoint(padded.subarray(5, 5 + bytes.length)), decodeCheckpoint(bytes))
})

test('every truncation is a CheckpointError', t => {
  const bytes = encodeCheckpoint(sampleCheckpoint(4, true, true))
  for (let length = 0; length < bytes.length; length++) isCheckpointError(t, bytes.subarray(0, length), `truncated to ${length}`)
})

test('trailing bytes are a CheckpointError', t => {
  const bytes = encodeCheckpoint(sampleCheckpoint(4, false, true))
  const longer = new Uint8Array(bytes.length + 8)
  longer.set(bytes)
  isCheckpointError(t, longer, 'oversized')
})

test('any corrupted byte is a CheckpointError', t => {
  const bytes = encodeCheckpoint(sampleCheckpoint(2, true, true))
  for (let at = 0; at < bytes.length; at++) {
    const corrupted = Uint8Array.from(bytes)
    corrupted[at] ^= 0x10
    isCheckpointError(t, corrupted, `byte ${at} flipped`)
  }
})

test('another format version is a CheckpointError even with a valid CRC', t => {
  const bytes = encodeCheckpoint(sampleCheckpoint(2, false, false))
  bytes[7] = 2
  new DataView(bytes.buffer).setUint32(bytes.length - 4, crc32(bytes.subarray(0, bytes.length - 4)), true)
  isCheckpointError(t, bytes, 'version 2')
})

test('non-finite coordinates are a CheckpointError on decode', t => {
  const checkpoint = sampleCheckpoint(2, false, false)
  checkpoint.positionsNm[4] = Number.NaN
  isCheckpointError(t, encodeCheckpoint(checkpoint), 'NaN position')
})

test('inconsistent checkpoints are refused when encoding', t => {
  const checkpoint = sampleCheckpoint(2, false, false)
  const error = t.throws(() => encodeCheckpoint({ ...checkpoint, particleCount: 3 }))
  t.is(error?.name, 'CheckpointError')
})
