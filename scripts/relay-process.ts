import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RelayProcess {
  url: string
  port: number
  dbPath: string
  stop(): Promise<void>
}

/**
 * Runs the relay through its real CLI, as an operator would, so that tests can
 * kill and restart it (the outbox test needs a relay that really goes away).
 */
export async function startRelayProcess(
  opts: { port?: number; dbPath?: string; extraArgs?: string[] } = {},
): Promise<RelayProcess> {
  const dbPath = opts.dbPath ?? join(mkdtempSync(join(tmpdir(), 'tseed-relay-')), 'relay.sqlite')
  const args = [
    '--import',
    'tsx',
    'relay/src/cli.ts',
    '--host',
    '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
    '--db',
    dbPath,
    ...(opts.extraArgs ?? []),
  ]
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const url = await waitForUrl(child)
  const port = Number(new URL(url).port)
  return {
    url,
    port,
    dbPath,
    stop: () => stopChild(child),
  }
}

function waitForUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => {
      reject(new Error(`relay did not print its URL within 20 s:\n${out}`))
    }, 20_000)
    const onData = (chunk: Buffer): void => {
      out += chunk.toString()
      const m = /ws:\/\/127\.0\.0\.1:\d+/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[0])
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()))
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`relay exited with ${code} before listening:\n${out}`))
    })
  })
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve()
    })
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref()
  })
}
