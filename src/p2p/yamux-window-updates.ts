/**
 * Fewer yamux window updates. js-yamux 8 answers every data frame it
 * receives with a window-update frame, so each small request or response
 * costs a second encrypted frame and socket write in the other direction
 * (on a busy coordinator those writes are a large share of its CPU time).
 * go-yamux and rust-yamux send an update only once half of the receive window
 * has been used; this makes js-yamux do the same.
 *
 * Flow control stays sound: the stream still checks the window on every data
 * frame, and the update goes out as soon as less than half the window is
 * left, so a sender always has room again before it could run dry. Frames
 * that carry flags (the SYN/ACK of a new stream) and a paused stream keep
 * js-yamux's own logic.
 *
 * Patches `YamuxStream.prototype.sendWindowUpdate` (the class is a public
 * export, `@libp2p/yamux/stream`) once per process; `createPeer` calls it.
 */
import { StreamState, YamuxStream } from '@libp2p/yamux/stream'

interface WindowFields {
  state: StreamState
  recvWindow: number
  recvWindowCapacity: number
}

let installed = false

export function sendYamuxWindowUpdatesAtHalfWindow (): void {
  if (installed) return
  installed = true
  const prototype = YamuxStream.prototype as unknown as { sendWindowUpdate: (this: WindowFields) => void }
  const sendWindowUpdate = prototype.sendWindowUpdate
  prototype.sendWindowUpdate = function (this: WindowFields): void {
    const flagless = this.state === StreamState.Established || this.state === StreamState.SYNSent
    if (flagless && this.recvWindowCapacity * 2 >= this.recvWindow) return
    sendWindowUpdate.call(this)
  }
}
