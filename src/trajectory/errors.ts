/**
 * Typed errors of the trajectory codec. One class per failure; callers and
 * tests branch on `name`, never on message text.
 */

/** Base of every trajectory codec error. */
export class TrajectoryCodecError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TrajectoryCodecError'
  }
}

/** The bytes end before the chunk does (a partial upload or a cut file). */
export class ChunkTruncatedError extends TrajectoryCodecError {
  readonly haveBytes: number
  readonly needBytes: number
  constructor (haveBytes: number, needBytes: number) {
    super(`The trajectory chunk is truncated: ${haveBytes} bytes where ${needBytes} are needed. Upload or copy it again.`)
    this.name = 'ChunkTruncatedError'
    this.haveBytes = haveBytes
    this.needBytes = needBytes
  }
}

/** The bytes are not a trajectory chunk, or its content contradicts its header. */
export class ChunkCorruptedError extends TrajectoryCodecError {
  constructor (message: string) {
    super(message)
    this.name = 'ChunkCorruptedError'
  }
}

/** The CRC32 trailer does not match the content. */
export class ChunkChecksumMismatchError extends TrajectoryCodecError {
  readonly storedCrc: number
  readonly computedCrc: number
  constructor (storedCrc: number, computedCrc: number) {
    super(`The trajectory chunk is corrupted: its checksum is ${storedCrc.toString(16)} but its content gives ${computedCrc.toString(16)}.`)
    this.name = 'ChunkChecksumMismatchError'
    this.storedCrc = storedCrc
    this.computedCrc = computedCrc
  }
}

/** A chunk written by a codec version this build cannot read. */
export class ChunkVersionError extends TrajectoryCodecError {
  readonly version: number
  constructor (version: number, supported: number) {
    super(`The trajectory chunk was written with codec version ${version}; this mdswarm reads version ${supported}. Upgrade mdswarm on this machine.`)
    this.name = 'ChunkVersionError'
    this.version = version
  }
}

/** A chunk (announced or decoded) larger than the limits allow. */
export class ChunkTooLargeError extends TrajectoryCodecError {
  constructor (message: string) {
    super(message)
    this.name = 'ChunkTooLargeError'
  }
}

/** Frames that cannot be encoded: no frames, inconsistent atom counts or boxes, non-finite values, a bad selection. */
export class InvalidFramesError extends TrajectoryCodecError {
  constructor (message: string) {
    super(message)
    this.name = 'InvalidFramesError'
  }
}

/** A coordinate too far from the origin for the requested precision (the quantized value overflows 32 bits). */
export class CoordinateRangeError extends TrajectoryCodecError {
  constructor (valueNm: number, precisionNm: number) {
    super(`A coordinate of ${valueNm} nm cannot be stored at a precision of ${precisionNm} nm (it exceeds ±${(2 ** 31 - 2) * precisionNm} nm). Use a coarser precision or the lossless mode.`)
    this.name = 'CoordinateRangeError'
  }
}
