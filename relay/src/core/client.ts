/**
 * One connection as the core sees it. The transport owns the socket; the core
 * only sends NIP-01 messages (arrays) and never closes anything.
 */
export interface RelayClient {
  /** Unique among live connections. */
  readonly id: string
  /** The remote address, for limits and logs. */
  readonly ip: string
  send(msg: unknown[]): void
}

/** Where the core reports what it cannot tell a client. */
export interface RelayLogger {
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}
