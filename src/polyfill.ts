/**
 * Node 20 lacks `Promise.withResolvers`, which libp2p 3's dependencies call.
 * Import this module before any libp2p import.
 */
const PromiseCtor = Promise as unknown as { withResolvers?: <T>() => { promise: Promise<T>, resolve: (v: T | PromiseLike<T>) => void, reject: (e?: unknown) => void } }
if (typeof PromiseCtor.withResolvers !== 'function') {
  PromiseCtor.withResolvers = function withResolvers<T> () {
    let resolve!: (v: T | PromiseLike<T>) => void
    let reject!: (e?: unknown) => void
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
export {}
