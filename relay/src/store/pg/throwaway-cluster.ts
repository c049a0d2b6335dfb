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
  const host = clusterHost()
  const data = join(host.dir, 'data')
  host.run(['initdb', '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  return serve(host, data, clusterOptions)
}

/**
 * A streaming read replica (a hot standby) of a running throwaway cluster:
 * `pg_basebackup` of it, then a server of its own on another free port that
 * replays the primary's WAL as it comes.
 */
export async function startThrowawayReplica(
  primary: { port: number },
  clusterOptions: ThrowawayClusterOptions = {},
): Promise<ThrowawayCluster> {
  const host = clusterHost()
  const data = join(host.dir, 'data')
  host.run([
    'pg_basebackup',
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    data,
    '-R',
    '--no-sync',
    // Now, not at the primary's next spread checkpoint, which may be minutes away.
    '--checkpoint=fast',
  ])
  return serve(host, data, clusterOptions)
}

interface ClusterHost {
  bin: string
  /** The temporary folder holding the data folder, the log and the socket. */
  dir: string
  /** Runs one of PostgreSQL's programs as the user the cluster belongs to. */
  run(argv: string[]): void
  argv(program: string, args: string[]): string[]
}

function clusterHost(): ClusterHost {
  const bin = postgresBinDir()
  if (bin === undefined) {
    throw new Error(
      'PostgreSQL server programs not found under /usr/lib/postgresql (apt-get install postgresql)',
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'tseed-pg-'))
  const asRoot = process.getuid?.() === 0
  if (asRoot) chmodSync(dir, 0o777)
  const argv = (program: string, args: string[]): string[] =>
    asRoot
      ? ['runuser', '-u', 'postgres', '--', join(bin, program), ...args]
      : [join(bin, program), ...args]
  return {
    bin,
    dir,
    argv,
    run([program, ...args]) {
      const full = argv(program as string, args)
      const r = spawnSync(full[0] as string, full.slice(1), { encoding: 'utf8' })
      if (r.status !== 0) {
        throw new Error(
          `${full.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}`,
        )
      }
    },
  }
}

async function serve(
  host: ClusterHost,
  data: string,
  clusterOptions: ThrowawayClusterOptions,
): Promise<ThrowawayCluster> {
  const port = await freePort()
  const log = join(host.dir, 'log')
  const options = [
    `-p ${port}`,
    `-k ${host.dir}`,
    '-c listen_addresses=127.0.0.1',
    // Room for many test connections, and no fsync: the cluster is thrown away.
    '-c max_connections=200',
    ...(clusterOptions.durable === true ? [] : ['-c fsync=off', '-c full_page_writes=off']),
  ].join(' ')
  try {
    host.run(['pg_ctl', '-D', data, '-o', options, '-l', log, '-w', 'start'])
  } catch (err) {
    const tail = existsSync(log)
      ? execFileSync('tail', ['-n', '20', log], { encoding: 'utf8' })
      : ''
    rmSync(host.dir, { recursive: true, force: true })
    throw new Error(`${(err as Error).message}\n${tail}`)
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: data,
    stop() {
      const argv = host.argv('pg_ctl', ['-D', data, '-m', 'immediate', 'stop'])
      spawnSync(argv[0] as string, argv.slice(1))
      rmSync(host.dir, { recursive: true, force: true })
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
