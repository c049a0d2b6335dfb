import { useEffect, useState } from 'preact/hooks'

const WHOLE = /^[0-9]{1,15}$/

/** Answers follow what is typed this long after the last keystroke: one request per pause, not per digit. */
export const TYPING_PAUSE_MS = 250

/**
 * Asks `request` for the whole number the user is typing, once they pause,
 * and keeps its last answer or error in words. Nothing is asked while
 * `active` is false or the text is not a whole number.
 */
export function useTypedQuote<T>(
  active: boolean,
  amount: string,
  request: (amount: string) => Promise<T>,
  deps: readonly unknown[],
): { value: T | null; error: string | null } {
  const [value, setValue] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    if (!active || !WHOLE.test(amount)) {
      setValue(null)
      return
    }
    const timer = setTimeout(() => {
      request(amount).then(
        (v) => {
          setValue(v)
          setError(null)
        },
        (e: unknown) => {
          setValue(null)
          setError((e as Error).message)
        },
      )
    }, TYPING_PAUSE_MS)
    return () => {
      clearTimeout(timer)
    }
    // `request` is rebuilt on every render; `deps` says what it depends on.
  }, [active, amount, ...deps])
  return { value, error }
}
