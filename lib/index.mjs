// The package entry for plain Node.js (`import { connect } from 'mdswarm'`):
// loads the TypeScript client library through tsx, as the binaries do, so a
// project needs no TypeScript tooling of its own. TypeScript projects get
// the types from src/index.ts (the "types" condition in package.json).
import { tsImport } from 'tsx/esm/api'

const library = await tsImport('../src/index.ts', import.meta.url)

export const {
  connect,
  MdswarmClient,
  JobHandle,
  CoordinatorNotFoundError,
  CoordinatorUnreachableError,
  CoordinatorError,
  UnexpectedResponseError,
  PrivateNetworkError,
  SwarmKeyMismatchError,
  readCoordinatorInfo,
  COORDINATOR_FILE_NAME,
} = library
