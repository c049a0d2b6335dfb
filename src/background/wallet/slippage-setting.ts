import { createStorageItem, type StorageAreaLike } from '../storage-item'
import {
  DEFAULT_SLIPPAGE_BPS,
  isAllowedSlippage,
  parseSlippagePercent,
  SlippageError,
} from './slippage'
import { WalletError } from './wallet-error'

export interface SlippageSetting {
  /** Basis points; the default when nothing valid is stored. */
  get(): Promise<bigint>
  /** Takes the percentage as the user typed it; rejects with a `bad_input` WalletError. */
  setPercent(text: string): Promise<bigint>
}

/**
 * The user's slippage bound in `storage.local` as a whole number of basis
 * points (JSON has no BigInt). A value out of range, say from an edited
 * profile, reads as the default rather than as a bound nobody chose.
 */
export function createSlippageSetting(area: StorageAreaLike): SlippageSetting {
  const item = createStorageItem<number>(area, 'slippageBps', {
    defaultValue: Number(DEFAULT_SLIPPAGE_BPS),
    parse: (raw) =>
      Number.isSafeInteger(raw) && isAllowedSlippage(BigInt(raw as number))
        ? (raw as number)
        : undefined,
  })
  return {
    get: async () => BigInt(await item.get()),
    async setPercent(text) {
      let bps: bigint
      try {
        bps = parseSlippagePercent(text)
      } catch (e) {
        if (e instanceof SlippageError) throw new WalletError('bad_input', e.message, { cause: e })
        throw e
      }
      await item.set(Number(bps))
      return bps
    },
  }
}
