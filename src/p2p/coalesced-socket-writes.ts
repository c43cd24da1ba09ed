/**
 * Coalesces the socket writes one turn of the event loop makes. js-libp2p's
 * TCP transport writes every buffer it is handed on its own: a length prefix
 * and a ciphertext per Noise message, one message per yamux frame, so a
 * small request and its answer cost several write system calls each (on
 * this project's virtual machines about 0.1–0.3 ms apiece, the largest
 * single cost of a busy coordinator). A TCP socket that writes while
 * uncorked is corked until the end of the current tick (process.nextTick),
 * so what the tick wrote leaves in one writev, which is what Node's own
 * HTTP server does for its responses. Nothing waits longer than the
 * current tick; back-pressure (write() returning false, then 'drain')
 * works as before.
 *
 * Applies to the connected TCP sockets of this process from the first call
 * on (the daemons and clients create theirs through libp2p), never to pipes
 * or terminals such as stdout; `createPeer` calls it.
 */
import net from 'node:net'

let installed = false

export function coalesceSocketWritesPerTick (): void {
  if (installed) return
  installed = true
  const write = net.Socket.prototype.write as (this: net.Socket, ...args: unknown[]) => boolean
  const uncork = (socket: net.Socket): void => { socket.uncork() }
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]): boolean {
    // TCP only (a remote port): pipes and terminals (stdout, stderr) write at once, so a process that prints and exits loses nothing.
    if (this.writableCorked === 0 && this.remotePort !== undefined && !this.destroyed && this.writable) {
      this.cork()
      process.nextTick(uncork, this)
    }
    return write.apply(this, args)
  } as typeof net.Socket.prototype.write
}
