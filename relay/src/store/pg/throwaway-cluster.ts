import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A PostgreSQL cluster of its own in a temporary folder, for tests and the benchmark. */
export interface ThrowawayCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string
  port: number
  /** The cluster's data folder (its `postmaster.pid` names the server's process). */
  dataDir: string
  /** Stops the server and deletes its folder. */
  stop(): void
}

/** Where Debian puts the server's programs (`postgresql-15` and so on); undefined when absent. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin')
}

export interface ThrowawayClusterOptions {
  /**
   * Keep PostgreSQL's default durability (fsync, full page writes) instead of
   * turning it off. Tests leave it off; the benchmark measures with it on.
   */
  durable?: boolean
}

/**
 * initdb in a temporary folder, then a server on 127.0.0.1 and a free port,
 * with trust authentication (it listens on loopback only and is deleted after).
 * PostgreSQL refuses to run as root, so as root the cluster belongs to the
 * unprivileged `postgres` user that Debian's package creates.
 * @throws Error naming the missing program or the server's own log
 */
export async function startThrowawayCluster(
  clusterOptions: ThrowawayClusterOptions = {},
): Promise<ThrowawayCluster> {
  const bin = postgresBinDir()
  if (bin === undefined) {
    throw new Error(
      'PostgreSQL server programs not found under /usr/lib/postgresql (apt-get install postgresql)',
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'tseed-pg-'))
  const asRoot = process.getuid?.() === 0
  const as = (cmd: string, args: string[]): string[] =>
    asRoot ? ['runuser', '-u', 'postgres', '--', cmd, ...args] : [cmd, ...args]
  if (asRoot) {
    chmodSync(dir, 0o777)
  }
  const data = join(dir, 'data')
  const run = (argv: string[]) => {
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' })
    if (r.status !== 0) {
      throw new Error(
        `${argv.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`,
      )
    }
  }
  run(
    as(join(bin, 'initdb'), [
      '-D',
      data,
      '-A',
      'trust',
      '-U',
      'postgres',
      '--no-sync',
      '-E',
      'UTF8',
    ]),
  )
  const port = await freePort()
  const log = join(dir, 'log')
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // Room for many test connections, and no fsync: the cluster is thrown away.
    '-c max_connections=200',
    ...(clusterOptions.durable === true ? [] : ['-c fsync=off', '-c full_page_writes=off']),
  ].join(' ')
  try {
    run(as(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', log, '-w', 'start']))
  } catch (err) {
    const tail = existsSync(log)
      ? execFileSync('tail', ['-n', '20', log], { encoding: 'utf8' })
      : ''
    rmSync(dir, { recursive: true, force: true })
    throw new Error(`${(err as Error).message}\n${tail}`)
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: data,
    stop() {
      const argv = as(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'])
      spawnSync(argv[0] as string, argv.slice(1))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      s.close(() => {
        resolve(port)
      })
    })
  })
}
