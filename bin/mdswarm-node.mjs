#!/usr/bin/env node
// Launcher for the `mdswarm-node` CLI (node daemon and local engine commands).
// Registers tsx so the TypeScript sources run without a build step.
import { register } from 'tsx/esm/api'
register()
await import('../node/cli/main.ts')
