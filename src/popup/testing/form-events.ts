/** Test support: drives the popup's one-field form handlers without a DOM. */
/** What a submit handler sees from a one-field form. */
export function submit(handler: unknown, value: string) {
  const input = { value }
  let prevented = false
  ;(handler as (e: unknown) => void)({
    preventDefault: () => (prevented = true),
    currentTarget: { elements: { namedItem: () => input } },
  })
  return { input, prevented: () => prevented }
}
export const flush = () => new Promise((r) => setTimeout(r, 0))

/** What a submit handler sees from a form of several named inputs. */
export function submitMany(handler: unknown, values: Record<string, string>) {
  const inputs = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v }]))
  let prevented = false
  ;(handler as (e: unknown) => void)({
    preventDefault: () => (prevented = true),
    currentTarget: { elements: { namedItem: (n: string) => inputs[n] ?? null } },
  })
  return { inputs, prevented: () => prevented }
}
