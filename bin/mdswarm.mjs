#!/usr/bin/env node
// Launcher for the `mdswarm` CLI (coordinator daemon and client commands).
// Registers tsx so the TypeScript sources run without a build step.
import { register } from 'tsx/esm/api'
register()
await import('../coordinator/cli/main.ts')
