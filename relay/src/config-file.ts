/**
 * `--config relay.json`: the start flags as a JSON object with the same names
 * (`{"max-connections-per-ip": 50, "rarity": "on"}`). Each value goes through
 * the flag's own check, so a file cannot hold what the command line refuses;
 * flags given on the command line are applied after the file and win.
 */
import { CliUsageError, type CliFlag } from './cli-options'

/** The flag that names the file; its value is read before the other flags are applied. */
export interface ConfigFileOption {
  config?: string
}

export const CONFIG_FLAG: CliFlag<ConfigFileOption> = {
  name: 'config',
  valueName: '<file.json>',
  description: 'read flags from a JSON object with the same names; command-line flags win',
  apply: (o, v) => {
    if (v === '') throw new CliUsageError('--config needs a file path')
    o.config = v
  },
}

/**
 * Applies the settings in `text` (the file's contents) over `defaults`.
 * Unknown keys, `config` itself, and values of the wrong type or range are
 * CliUsageErrors naming the file and the key.
 *
 * @example
 * applyConfigText('{"port": 0}', 'relay.json', RELAY_FLAGS, RELAY_CLI_DEFAULTS).port // → 0
 */
export function applyConfigText<T extends object>(
  text: string,
  file: string,
  flags: readonly CliFlag<T>[],
  defaults: Readonly<T>,
): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new CliUsageError(
      `${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`,
    )
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliUsageError(`${file}: must hold a JSON object of flag names and values`)
  }
  const options = { ...defaults } as T
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const flag = key === CONFIG_FLAG.name ? undefined : flags.find((f) => f.name === key)
    if (flag === undefined) {
      throw new CliUsageError(`${file}: unknown key ${JSON.stringify(key)}`)
    }
    const text = flagText(flag, raw)
    if (text === undefined) {
      throw new CliUsageError(
        `${file}: key ${JSON.stringify(key)} must be ${expected(flag)}, got ${JSON.stringify(raw)}`,
      )
    }
    if (flag.boolean === true && raw === false) continue
    try {
      flag.apply(options, text)
    } catch (err) {
      if (!(err instanceof CliUsageError)) throw err
      // The flag's message starts with `--name`; the file's reader looks for the key.
      const why = err.message.replace(new RegExp(`^--${key}\\s+`), '')
      throw new CliUsageError(`${file}: key ${JSON.stringify(key)}: ${why}`)
    }
  }
  return options
}

/** The command-line text for a JSON value, or undefined when its type cannot fit the flag. */
function flagText<T>(flag: CliFlag<T>, raw: unknown): string | undefined {
  if (flag.boolean === true) return typeof raw === 'boolean' ? '' : undefined
  if (typeof raw === 'string') return raw
  // 1e21 and up print in exponent form; the flag's own check then refuses them.
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw)
  if (typeof raw === 'boolean' && flag.valueName === 'on|off') return raw ? 'on' : 'off'
  return undefined
}

function expected<T>(flag: CliFlag<T>): string {
  if (flag.boolean === true) return 'true or false'
  if (flag.valueName === 'on|off') return '"on", "off", true or false'
  return `a string or number (${flag.valueName})`
}
