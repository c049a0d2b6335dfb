/**
 * A submit handler for a one-field form: reads the named input, passes its
 * value on, and clears it when the action worked. Inputs stay uncontrolled
 * so the once-a-second state refresh never overwrites what the user types.
 */
export function submitField(
  name: string,
  handle: (value: string) => Promise<boolean>,
): (e: Event) => void {
  return (e) => {
    e.preventDefault()
    const form = e.currentTarget as HTMLFormElement
    const input = form.elements.namedItem(name) as HTMLInputElement | null
    if (input === null) return
    void handle(input.value).then((ok) => {
      if (ok) input.value = ''
    })
  }
}
