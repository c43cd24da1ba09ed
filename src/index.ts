/**
 * mdswarm: a peer-to-peer volunteer compute network for molecular dynamics.
 * `import { connect } from 'mdswarm'` gives the client library.
 */
export * from './client/index.ts'
export type { Frame } from './engine/frame.ts'
