/**
 * The relay as a child process, started through its real command line the way
 * an operator starts it (`node --import tsx relay/src/cli.ts`), so that the
 * demo and the tests can kill and restart it: the outbox test needs a relay
 * that really goes away, the crash test one that dies with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The relay's command line; run it with `node --import tsx RELAY_CLI …`. */
export const RELAY_CLI = fileURLToPath(new URL('../relay/src/cli.ts', import.meta.url))

/** A run of the relay's command line, listening or not. */
export interface RelayCliRun {
  child: ChildProcess
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string
  /** Resolves with the exit code (or signal) once the process is gone and its output read. */
  exited: Promise<number | NodeJS.Signals | null>
}

/** A relay process that is listening. */
export interface RelayProcess extends RelayCliRun {
  /** `ws://127.0.0.1:PORT` */
  url: string
  port: number
  /** `http://127.0.0.1:PORT/api/v1` */
  apiUrl: string
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>
}

/** Runs the command line with `args` and returns at once, e.g. for `--help` or a bad flag. */
export function runRelayCli(args: readonly string[], env?: NodeJS.ProcessEnv): RelayCliRun {
  const child = spawn(process.execPath, ['--import', 'tsx', RELAY_CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(env !== undefined ? { env } : {}),
  })
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (d: string) => (out += d))
  child.stderr.on('data', (d: string) => (out += d))
  // 'close' rather than 'exit': by then stdout and stderr are drained, so
  // output() is complete once `exited` resolves.
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once('close', (code, signal) => {
      resolve(code ?? signal)
    })
  })
  return { child, output: () => out, exited }
}

/**
 * Starts the command line with `args` and resolves once it prints
 * `TSEED relay listening on ws://…`. Rejects, and kills it, if it exits
 * first or stays silent for `timeoutMs`.
 *
 * @example
 * const relay = await spawnRelay(['--port', '0', '--db', file, '--lightning', 'dev'])
 * relay.child.kill('SIGKILL')
 * await relay.exited
 */
export function spawnRelay(
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RelayProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000
  const run = runRelayCli(args, options.env)
  const { child, exited } = run
  return new Promise((resolve, reject) => {
    let stdout = ''
    let settled = false
    const settle = (): boolean => {
      if (settled) return false
      settled = true
      clearTimeout(timer)
      child.stdout?.off('data', onStdout)
      return true
    }
    const fail = (why: string): void => {
      if (!settle()) return
      child.kill('SIGKILL')
      reject(new Error(`${why}; relay output:\n${run.output()}`))
    }
    // Parsed from stdout alone, where each line arrives whole and in order;
    // the space after the URL proves the URL was not cut between two chunks.
    const onStdout = (d: string): void => {
      stdout += d
      const url = /^TSEED relay listening on (ws:\/\/\S+) /m.exec(stdout)?.[1]
      if (url === undefined || !settle()) return
      resolve({
        ...run,
        url,
        port: Number(new URL(url).port),
        apiUrl: /^API (\S+)$/m.exec(stdout)?.[1] ?? `${url.replace(/^ws/, 'http')}/api/v1`,
        stop: () => stopChild(child, exited),
      })
    }
    const timer = setTimeout(() => {
      fail(`the relay did not start within ${timeoutMs} ms`)
    }, timeoutMs)
    child.stdout?.on('data', onStdout)
    void exited.then((code) => {
      fail(`the relay exited (${String(code)}) before listening`)
    })
  })
}

/**
 * Starts a relay on 127.0.0.1 with the `dev` defaults, on `port` (default any
 * free one) and `dbPath` (default a new temporary file), for `npm start` and
 * the browser tests. Restarting on the same `port` and `dbPath` brings the
 * same relay back.
 */
export async function startRelayProcess(
  opts: { port?: number; dbPath?: string; extraArgs?: string[] } = {},
): Promise<RelayProcess & { dbPath: string }> {
  const dbPath = opts.dbPath ?? join(mkdtempSync(join(tmpdir(), 'tseed-relay-')), 'relay.sqlite')
  const relay = await spawnRelay(
    [
      '--host',
      '127.0.0.1',
      '--port',
      String(opts.port ?? 0),
      '--db',
      dbPath,
      ...(opts.extraArgs ?? []),
    ],
    { timeoutMs: 20_000 },
  )
  return { ...relay, dbPath }
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<number | NodeJS.Signals | null>,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const force = setTimeout(() => child.kill('SIGKILL'), 5_000)
  await exited
  clearTimeout(force)
}
