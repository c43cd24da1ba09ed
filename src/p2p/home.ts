/**
 * The mdswarm home folder: the peer key, LevelDB stores, caches and
 * coordinator.json live here. Chosen by `--home DIR`, else the environment
 * variable MDSWARM_HOME, else ~/.mdswarm.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const HOME_ENV_VAR = 'MDSWARM_HOME'
export const DEFAULT_HOME_DIR_NAME = '.mdswarm'

/** The absolute home path `flag` > $MDSWARM_HOME > ~/.mdswarm names (not created). */
export function homePath (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = (flag != null && flag !== '') ? flag : (env[HOME_ENV_VAR] != null && env[HOME_ENV_VAR] !== '' ? env[HOME_ENV_VAR] : path.join(os.homedir(), DEFAULT_HOME_DIR_NAME))
  return path.resolve(chosen)
}

/** The absolute home path (see homePath), created (mode 0700) if missing. */
export function resolveHome (flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = homePath(flag, env)
  fs.mkdirSync(home, { recursive: true, mode: 0o700 })
  return home
}
