// Worker-thread bootstrap for one work unit: registers tsx (as bin/*.mjs do)
// so the TypeScript engine runs without a build step, then starts the unit.
import { register } from 'tsx/esm/api'
register()
await import('./unit-worker.ts')
