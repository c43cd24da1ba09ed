/**
 * The raw-bit side stream: the low bits of large residuals, which are close
 * to uniform and gain nothing from entropy coding. LSB-first, at most 30
 * bits per call. (The decoder reads them inline, see coordinate-coder.ts.)
 */

export class RawBitWriter {
  private readonly out: Uint8Array
  private offset = 0
  private acc = 0
  private accBits = 0
  constructor (capacityBytes: number) {
    this.out = new Uint8Array(capacityBytes)
  }

  write (value: number, bitCount: number): void {
    while (bitCount > 0) {
      const take = bitCount > 16 ? 16 : bitCount
      this.acc |= (value & ((1 << take) - 1)) << this.accBits
      this.accBits += take
      value >>>= take
      bitCount -= take
      while (this.accBits >= 8) {
        this.out[this.offset++] = this.acc & 0xff
        this.acc >>>= 8
        this.accBits -= 8
      }
    }
  }

  /** The written bytes (the last one zero-padded). */
  finish (): Uint8Array {
    if (this.accBits > 0) { this.out[this.offset++] = this.acc & 0xff; this.acc = 0; this.accBits = 0 }
    return this.out.subarray(0, this.offset)
  }
}

