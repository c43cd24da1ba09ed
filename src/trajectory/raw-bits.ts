/**
 * The raw-bit side stream: the low bits of large residuals, which are close
 * to uniform and gain nothing from entropy coding. LSB-first, at most 30
 * bits per call.
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

export class RawBitReader {
  private readonly bytes: Uint8Array
  private offset: number
  private readonly end: number
  private acc = 0
  private accBits = 0
  /** Set when a read ran past the end (then zeros were returned). */
  overrun = false
  constructor (bytes: Uint8Array, offset: number, end: number) {
    this.bytes = bytes
    this.offset = offset
    this.end = end
  }

  read (bitCount: number): number {
    let result = 0
    let scale = 1
    while (bitCount > 0) {
      const take = bitCount > 16 ? 16 : bitCount
      while (this.accBits < take) {
        if (this.offset < this.end) this.acc |= this.bytes[this.offset++] << this.accBits
        else this.overrun = true
        this.accBits += 8
      }
      result += (this.acc & ((1 << take) - 1)) * scale
      this.acc >>>= take
      this.accBits -= take
      scale *= 1 << take
      bitCount -= take
    }
    return result
  }
}
