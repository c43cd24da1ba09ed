/**
 * Seeded, serializable random numbers for the stochastic integrators and for
 * Maxwell-Boltzmann velocities.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 128 bits of state, seeded from
 * a number through splitmix32 so that nearby seeds give unrelated streams.
 * Gaussians: Marsaglia's polar Box-Muller (as OpenMM draws them, and like
 * OpenMM from uniforms of 32 bits: one generator output per coordinate of
 * the point in the unit disc), which makes two values at a time; the spare
 * one is part of the serialized state, so a
 * generator restored with `Rng.fromState(rng.state())` continues the exact
 * same sequence.
 *
 * @example
 * const rng = new Rng(42)
 * const saved = rng.state()
 * const a = rng.nextGaussian()
 * Rng.fromState(saved).nextGaussian() === a // true
 */

/** Length of the serialized state: 4 generator words, spare flag, spare gaussian (2 words). */
export const RNG_STATE_WORDS = 7

const TWO_POW_MINUS_53 = 1 / 9007199254740992
const TWO_POW_26 = 67108864
/** Scales a signed 32-bit integer onto [-1, 1). */
const TWO_POW_MINUS_31 = 1 / 2147483648

export class Rng {
  /** xoshiro128** state words s0..s3 (as int32 bits: typed-array slots keep them unboxed). */
  private readonly words = new Int32Array(4)
  private hasSpareGaussian = false
  private spareGaussian = 0
  /** Scratch for float64 <-> 2 x uint32 conversion of the spare gaussian. */
  private readonly bits = new Float64Array(1)
  private readonly bitWords = new Uint32Array(this.bits.buffer)

  /** `seed` is any finite number; its integer part (up to 2^53) selects the stream. */
  constructor (seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`Random seed must be a finite number, got ${seed}`)
    const integerSeed = Math.trunc(Math.abs(seed))
    let x = (integerSeed >>> 0) ^ Math.imul(Math.floor(integerSeed / 4294967296) >>> 0, 0x9e3779b9)
    if (seed < 0) x = ~x
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    const words = this.words
    words[0] = next()
    words[1] = next()
    words[2] = next()
    words[3] = next()
    if ((words[0] | words[1] | words[2] | words[3]) === 0) words[0] = 1
  }

  /** A generator that continues exactly where the one whose `state()` this is stopped. */
  static fromState (state: Uint32Array): Rng {
    if (state.length !== RNG_STATE_WORDS) {
      throw new RangeError(`Random generator state must have ${RNG_STATE_WORDS} words, got ${state.length}`)
    }
    if ((state[0] | state[1] | state[2] | state[3]) === 0) {
      throw new RangeError('Random generator state is all zero (not a valid xoshiro128** state)')
    }
    const rng = new Rng(0)
    rng.words[0] = state[0]
    rng.words[1] = state[1]
    rng.words[2] = state[2]
    rng.words[3] = state[3]
    rng.hasSpareGaussian = state[4] !== 0
    rng.bitWords[0] = state[5]
    rng.bitWords[1] = state[6]
    rng.spareGaussian = rng.hasSpareGaussian ? rng.bits[0] : 0
    return rng
  }

  /** Continues from `state` (as `fromState`, but in place: holders of this generator see the new stream). */
  setState (state: Uint32Array): void {
    const restored = Rng.fromState(state)
    this.words.set(restored.words)
    this.hasSpareGaussian = restored.hasSpareGaussian
    this.spareGaussian = restored.spareGaussian
  }

  /** A copy of the full state (generator words and the pending spare gaussian). */
  state (): Uint32Array {
    const out = new Uint32Array(RNG_STATE_WORDS)
    out[0] = this.words[0]
    out[1] = this.words[1]
    out[2] = this.words[2]
    out[3] = this.words[3]
    out[4] = this.hasSpareGaussian ? 1 : 0
    this.bits[0] = this.hasSpareGaussian ? this.spareGaussian : 0
    out[5] = this.bitWords[0]
    out[6] = this.bitWords[1]
    return out
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32 (): number {
    const words = this.words
    const s0 = words[0]
    const s1 = words[1]
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0
    const s2 = words[2] ^ s0
    const s3 = words[3] ^ s1
    words[0] = s0 ^ s3
    words[1] = s1 ^ s2
    words[2] = s2 ^ (s1 << 9)
    words[3] = rotl(s3, 11)
    return result
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  nextDouble (): number {
    const high = this.nextUint32() >>> 5
    const low = this.nextUint32() >>> 6
    return (high * TWO_POW_26 + low) * TWO_POW_MINUS_53
  }

  /** Standard normal deviate (mean 0, variance 1). */
  nextGaussian (): number {
    if (this.hasSpareGaussian) {
      this.hasSpareGaussian = false
      return this.spareGaussian
    }
    let x: number
    let y: number
    let r2: number
    do {
      x = (this.nextUint32() | 0) * TWO_POW_MINUS_31
      y = (this.nextUint32() | 0) * TWO_POW_MINUS_31
      r2 = x * x + y * y
    } while (r2 >= 1 || r2 === 0)
    const multiplier = Math.sqrt(-2 * Math.log(r2) / r2)
    this.spareGaussian = y * multiplier
    this.hasSpareGaussian = true
    return x * multiplier
  }

  /**
   * Writes `count` standard normal deviates into `out[offset ..]`: exactly
   * the values (and the state afterwards) of `count` calls of nextGaussian,
   * drawn with the generator words held in locals (what an integrator wants
   * for its 3N deviates of a step).
   */
  fillGaussians (out: Float64Array, offset: number, count: number): void {
    if (count <= 0) return
    let slot = offset
    const end = offset + count
    if (this.hasSpareGaussian) {
      this.hasSpareGaussian = false
      out[slot++] = this.spareGaussian
    }
    const words = this.words
    let s0 = words[0]
    let s1 = words[1]
    let s2 = words[2]
    let s3 = words[3]
    while (slot < end) {
      let x: number
      let y: number
      let r2: number
      do {
        // two xoshiro128** outputs (as nextUint32), read as signed: x, y uniform on [-1, 1)
        let t = s1 << 9
        const u0 = Math.imul(rotl(Math.imul(s1, 5), 7), 9)
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
        t = s1 << 9
        const u1 = Math.imul(rotl(Math.imul(s1, 5), 7), 9)
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11)
        x = u0 * TWO_POW_MINUS_31
        y = u1 * TWO_POW_MINUS_31
        r2 = x * x + y * y
      } while (r2 >= 1 || r2 === 0)
      const multiplier = Math.sqrt(-2 * Math.log(r2) / r2)
      out[slot++] = x * multiplier
      if (slot < end) {
        out[slot++] = y * multiplier
      } else {
        this.spareGaussian = y * multiplier
        this.hasSpareGaussian = true
      }
    }
    words[0] = s0
    words[1] = s1
    words[2] = s2
    words[3] = s3
  }
}

function rotl (x: number, k: number): number {
  return (x << k) | (x >>> (32 - k))
}
