import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The relay's command line, run the way operators run it: `node --import tsx relay/src/cli.ts`. */
export const RELAY_CLI = fileURLToPath(new URL('../../relay/src/cli.ts', import.meta.url))

/** A relay running as a child process. */
export interface RelayProcess {
  child: ChildProcess
  /** `ws://127.0.0.1:PORT` */
  url: string
  /** `http://127.0.0.1:PORT/api/v1` */
  apiUrl: string
  /** Everything it printed so far. */
  output(): string
  /** Resolves with the exit code (or signal) once the process is gone. */
  exited: Promise<number | NodeJS.Signals | null>
}

/**
 * Starts `relay/src/cli.ts` with `args` and resolves once it prints
 * `TSEED relay listening on ws://…`. Rejects (and kills it) if it exits or
 * stays silent for `timeoutMs`.
 */
export function startRelayProcess(
  args: readonly string[],
  timeoutMs = 30_000,
): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', RELAY_CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve(code ?? signal)
    })
  })
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (why: string): void => {
      if (settled) return
      settled = true
      clearInterval(poll)
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`${why}; relay output:\n${out}`))
    }
    const timer = setTimeout(() => {
      fail(`the relay did not start within ${timeoutMs} ms`)
    }, timeoutMs)
    void exited.then((code) => {
      fail(`the relay exited (${String(code)}) before listening`)
    })
    const poll = setInterval(() => {
      const url = /TSEED relay listening on (ws:\/\/\S+)/.exec(out)?.[1]
      if (url === undefined) return
      settled = true
      clearInterval(poll)
      clearTimeout(timer)
      resolve({
        child,
        url,
        apiUrl: /^API (\S+)$/m.exec(out)?.[1] ?? `${url.replace(/^ws/, 'http')}/api/v1`,
        output: () => out,
        exited,
      })
    }, 20)
  })
}
