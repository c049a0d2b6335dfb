import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach } from 'vitest'
import { runCli } from '../src/operator/commands'
import type { CommandIo } from '../src/operator/io'

export interface CliRun {
  code: number
  out: string
  err: string
}

/** Runs a relay command line in process and captures what it prints. */
export async function runCliCaptured(argv: string[]): Promise<CliRun> {
  let out = ''
  let err = ''
  const io: CommandIo = {
    out: (t) => (out += t),
    err: (t) => (err += t),
    waitForStop: () => Promise.resolve('SIGTERM'),
  }
  const code = await runCli(argv, io)
  return { code, out, err }
}

/**
 * Temporary folders named `prefix…`, each deleted after the test that made
 * it. Call at the top of a test file.
 */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = []
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
  })
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }
}
