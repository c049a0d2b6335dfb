/**
 * `npm run build:native`: compiles the relay's libsecp256k1 addon
 * (relay/native/secp256k1-verify) with the node-gyp that ships with npm.
 * Needs a C compiler, make, python3 and the libsecp256k1-dev headers;
 * scripts/setup.sh installs them. Exits non-zero, with the reason, if the
 * build fails, so setup (and CI) stop rather than test a relay without it.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ADDON_DIR = fileURLToPath(new URL('../relay/native/secp256k1-verify', import.meta.url))

/** npm tells its scripts where its node-gyp is; outside npm, look beside npm itself. */
function findNodeGyp(): string {
  const fromNpm = process.env.npm_config_node_gyp
  if (fromNpm !== undefined && existsSync(fromNpm)) return fromNpm
  const candidates = [
    join(
      dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
    '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ]
  const found = candidates.find((c) => existsSync(c))
  if (found === undefined) {
    throw new Error('node-gyp not found; run this as `npm run build:native`')
  }
  return found
}

/**
 * The headers of the running Node, so node-gyp never downloads them: Debian's
 * node and the official tarballs both keep them in <prefix>/include/node.
 * An explicitly configured nodedir wins.
 */
function nodedirArgs(): string[] {
  if (process.env.npm_config_nodedir !== undefined) return []
  const prefix = resolve(dirname(process.execPath), '..')
  return existsSync(join(prefix, 'include/node/node_api.h')) ? [`--nodedir=${prefix}`] : []
}

const args = [findNodeGyp(), 'rebuild', `--directory=${ADDON_DIR}`, ...nodedirArgs()]
console.info(`build-native: node ${args.join(' ')}`)
const run = spawnSync(process.execPath, args, { stdio: 'inherit' })
if (run.status !== 0) {
  console.error(
    'build-native: the libsecp256k1 addon did not build. It needs libsecp256k1-dev ' +
      '(apt-get install libsecp256k1-dev), a C compiler, make and python3. ' +
      'Without it the relay verifies with nostr-wasm, several times slower.',
  )
  process.exit(run.status ?? 1)
}
console.info(`build-native: built ${join(ADDON_DIR, 'build/Release/secp256k1_verify.node')}`)
