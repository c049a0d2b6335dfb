// The part of the `libpq` package (bindings to PostgreSQL's C client) the relay uses.
declare module 'libpq' {
  import type { EventEmitter } from 'node:events'

  class Libpq extends EventEmitter {
    connectSync(conninfo: string): void
    finish(): void
    exec(sql: string): void
    execParams(sql: string, params: (string | null)[]): void
    prepare(name: string, sql: string, nParams: number): void
    execPrepared(name: string, params: (string | null)[]): void
    resultStatus(): string
    resultErrorMessage(): string
    resultErrorFields(): { sqlState?: string; messagePrimary?: string } | undefined
    errorMessage(): string
    ntuples(): number
    nfields(): number
    fname(column: number): string
    ftype(column: number): number
    getvalue(row: number, column: number): string
    getisnull(row: number, column: number): boolean
    cmdTuples(): string
    /** PQTRANS_IDLE 0, ACTIVE 1, INTRANS 2, INERROR 3, UNKNOWN 4 (connection bad). */
    transactionStatus(): number
    escapeIdentifier(text: string): string
    clear(): void
    // Pipeline mode (libpq 14+): several statements, one round trip.
    enterPipelineMode(): boolean
    exitPipelineMode(): boolean
    pipelineSync(): boolean
    sendQueryParams(sql: string, params: (string | null)[]): boolean
    sendPrepare(name: string, sql: string, nParams: number): boolean
    sendQueryPrepared(name: string, params: (string | null)[]): boolean
    /** Moves to the next result; false (keeping the last one) when there is none. */
    getResult(): boolean
    cmdStatus(): string
    // Asynchronous notifications (LISTEN/NOTIFY) on a connection of their own.
    startReader(): void
    stopReader(): void
    consumeInput(): boolean
    notifies(): { relname: string; extra: string; be_pid: number } | undefined
    setNonBlocking(on: boolean): boolean
    socket(): number
    readonly connected: boolean
  }
  export = Libpq
}
