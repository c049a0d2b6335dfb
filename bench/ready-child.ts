import { spawn, type ChildProcess } from 'node:child_process'

/** A bench child process listening at `url`. */
export interface ReadyChild {
  proc: ChildProcess
  url: string
  /** SIGTERM, then what the child printed as `STATS <json>` (undefined for none or `{}`). */
  stop(): Promise<unknown>
}

/**
 * Spawns `cmd` (program first) in `cwd` and resolves once it prints
 * `READY <url>`, the protocol of relay-child.ts and tracker-child.ts.
 * Fails if it exits first or is not ready within 60 s.
 */
export function startReadyChild(
  cmd: readonly string[],
  cwd: string,
  name: string,
): Promise<ReadyChild> {
  const [program, ...args] = cmd
  if (program === undefined) throw new Error('startReadyChild needs a command')
  const proc = spawn(program, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  const exited = new Promise<void>((done) =>
    proc.once('exit', () => {
      done()
    }),
  )
  return new Promise((ready, fail) => {
    const timer = setTimeout(() => {
      fail(new Error(`${name} did not start within 60 s`))
    }, 60_000)
    proc.once('exit', (code) => {
      fail(new Error(`${name} exited with ${code} before READY`))
    })
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const url = /^READY (\S+)$/m.exec(out)?.[1]
      if (url === undefined) return
      clearTimeout(timer)
      ready({
        proc,
        url,
        async stop() {
          proc.kill('SIGTERM')
          await exited
          const stats = /^STATS (.*)$/m.exec(out)?.[1]
          return stats === undefined || stats === '{}' ? undefined : (JSON.parse(stats) as unknown)
        },
      })
    })
  })
}
