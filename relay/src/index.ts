/**
 * The reference relay's public surface: the whole TSEED relay in one call
 * (`startTseedRelay`), and its parts for components that plug into it
 * (ledger, tracker endpoint, Lightning) and for tests.
 */
export { Relay, BLOCKED_KIND_MESSAGE, type RelayOptions } from './core/relay'
export type { RelayClient, RelayLogger } from './core/client'
export {
  acceptAllAnnounces,
  type AnnouncePolicy,
  type PolicyDecision,
} from './core/announce-policy'
export { createWasmVerifier, type Verifier, type VerifyOutcome } from './core/verifier'
export type { VerifierChoice, VerifierImplementation } from './core/batch-checker'
export {
  WorkerPoolVerifier,
  createVerifier,
  type WorkerVerifierOptions,
  type WorkerVerifierStats,
} from './core/worker-verifier'
export { GroupCommit, GroupCommitError, type TransactionRunner } from './core/group-commit'
export {
  DEFAULT_ANNOUNCE_TTL_SECONDS,
  DEFAULT_LIMITS,
  resolveLimits,
  type RelayLimits,
} from './core/limits'
export { matchFilter, parseFilter, FilterError, type Filter } from './core/filters'
export {
  isNewer,
  type AnnounceKey,
  type AnnounceStore,
  type AnnounceWrites,
  type PutResult,
  type StoredAnnounce,
} from './store/announce-store'
export { MemoryAnnounceStore } from './store/memory-store'
export { SqliteAnnounceStore, ANNOUNCE_STORE_COMPONENT } from './store/sqlite-store'
export {
  migrate,
  openDatabase,
  type Migration,
  type OpenDatabaseOptions,
  type SqliteDatabase,
  type SyncMode,
} from './store/database'
export { buildRelayInfo, type RelayInfoDocument, type RelayInfoOptions } from './http/nip11'
export { CORS_HEADERS, type HttpRoute } from './transport/http-handler'
export { startRelay, type RunningRelay, type StartRelayOptions } from './transport/start-relay'
export { startTseedRelay, type RunningTseedRelay, type TseedRelayOptions } from './tseed-relay'
export {
  parseCli,
  usage,
  CliUsageError,
  RELAY_CLI_DEFAULTS,
  RELAY_FLAGS,
  type CliFlag,
  type RelayCliOptions,
} from './cli-options'
