import { spawn } from 'node:child_process'
import { networkInterfaces } from 'node:os'
import { fileURLToPath } from 'node:url'

/**
 * The private network namespace that WebRTC between browsers on this machine
 * runs in when headless (scripts/netns-run.sh): loopback and a veth pair
 * inside it, nothing else.
 */
export const NETNS_RUN = fileURLToPath(new URL('./netns-run.sh', import.meta.url))

const VETH_ADDRESSES: Record<string, string> = { v0: '10.253.0.1', v1: '10.253.0.2' }

/**
 * Whether this process runs in the namespace netns-run.sh makes: its
 * interfaces are exactly lo, v0 and v1 with their 10.253.0.x addresses.
 * Checked from the interfaces, not from an environment variable, because the
 * point is that a WebRTC peer here can reach nothing but this namespace.
 */
export function inPrivateNetns(): boolean {
  const ifaces = networkInterfaces()
  const names = Object.keys(ifaces).sort()
  if (names.join(',') !== 'lo,v0,v1') return false
  return Object.entries(VETH_ADDRESSES).every(([name, address]) =>
    (ifaces[name] ?? []).some((a) => a.family === 'IPv4' && a.address === address),
  )
}

/** Throws unless {@link inPrivateNetns}, naming the command that would make it so. */
export function assertPrivateNetns(): void {
  if (inPrivateNetns()) return
  const names = Object.keys(networkInterfaces()).join(', ')
  throw new Error(
    `WebRTC tests run only inside a private network namespace (interfaces lo, v0, v1), ` +
      `never on this machine's network; this one has ${names}. ` +
      `Run them through: bash scripts/netns-run.sh npx playwright test --config tests/e2e/netns/playwright.config.ts`,
  )
}

/** Headless on Linux as root and not yet inside: the case where the demo enters the namespace. */
export function shouldEnterNetns(headless: boolean): boolean {
  return headless && process.platform === 'linux' && process.getuid?.() === 0 && !inPrivateNetns()
}

/**
 * Runs this same Node script again inside the namespace, with the same
 * arguments, and resolves with its exit code. Termination signals are passed
 * on, so Ctrl+C and SIGTERM stop the inner run cleanly; it may get SIGINT
 * twice (once from the terminal), so its stop must be idempotent.
 */
export function rerunInNetns(script: string, args: readonly string[]): Promise<number> {
  const child = spawn('bash', [NETNS_RUN, process.execPath, '--import', 'tsx', script, ...args], {
    stdio: 'inherit',
  })
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal)
  }
  for (const s of signals) process.on(s, forward)
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward)
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1))
    })
  })
}
