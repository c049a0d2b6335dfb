/** Where the API reports what it cannot tell a caller. */
export interface ApiLogger {
  info(message: string, ...details: unknown[]): void
  warn(message: string, ...details: unknown[]): void
  error(message: string, ...details: unknown[]): void
}
