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

export interface FieldFormProps {
  /** The input's name; also what {@link submitField} reads. */
  name: string
  /** Masks what is typed, for a secret key. */
  secret?: boolean
  /** The on-screen keyboard to offer for a plain input. */
  inputMode?: 'url'
  placeholder: string
  /** The input's accessible name. */
  label: string
  /** The submit button's text. */
  action: string
  inputTestId: string
  buttonTestId: string
  /** Resolves true when the value was taken, which clears the field. */
  onSubmit: (value: string) => Promise<boolean>
}

/** One input and its submit button on a row, without autocomplete or spellcheck. */
export function FieldForm(p: FieldFormProps) {
  const attrs = {
    'data-testid': p.inputTestId,
    name: p.name,
    autocomplete: 'off',
    spellcheck: false,
    placeholder: p.placeholder,
    'aria-label': p.label,
  }
  return (
    <form class="row" onSubmit={submitField(p.name, p.onSubmit)}>
      {p.secret === true ? (
        <input type="password" {...attrs} />
      ) : (
        <input type="text" inputMode={p.inputMode} {...attrs} />
      )}
      <button type="submit" data-testid={p.buttonTestId}>
        {p.action}
      </button>
    </form>
  )
}

/** The text of a named input of a submitted form ('' when there is none). */
export function formValue(form: HTMLFormElement, name: string): string {
  const input = form.elements.namedItem(name) as HTMLInputElement | null
  return input?.value ?? ''
}

export interface NumberInputProps {
  name: string
  /** The value shown when the popup renders; the input stays uncontrolled after that. */
  value: string
  testId: string
  placeholder?: string
  /** The accessible name, when no visible label wraps the input. */
  label?: string
}

/** A whole-number field (TSEED, Mbit/s) with the numeric keyboard. */
export function NumberInput(p: NumberInputProps) {
  return (
    <input
      name={p.name}
      inputMode="numeric"
      defaultValue={p.value}
      placeholder={p.placeholder}
      aria-label={p.label}
      data-testid={p.testId}
    />
  )
}

/**
 * A submit handler for a form of several named inputs: passes their values
 * on and clears them all when the action worked (passwords must not linger
 * in the page). Like {@link submitField}, inputs stay uncontrolled.
 */
export function submitFields<N extends string>(
  names: readonly N[],
  handle: (values: Record<N, string>) => Promise<boolean>,
): (e: Event) => void {
  return (e) => {
    e.preventDefault()
    const form = e.currentTarget as HTMLFormElement
    const inputs = names.map((n) => form.elements.namedItem(n) as HTMLInputElement | null)
    const values = Object.fromEntries(names.map((n, i) => [n, inputs[i]?.value ?? ''])) as Record<
      N,
      string
    >
    void handle(values).then((ok) => {
      if (ok) for (const input of inputs) if (input !== null) input.value = ''
    })
  }
}

export interface SecretInputProps {
  name: string
  label: string
  testId: string
  placeholder?: string
  /** `new-password` for a password being chosen, `current-password` for one being typed, `off` for keys and URIs. */
  autocomplete?: 'new-password' | 'current-password' | 'off'
}

/** A masked field: passwords, secret keys and connection strings are never shown as typed. */
export function SecretInput(p: SecretInputProps) {
  return (
    <input
      type="password"
      name={p.name}
      autocomplete={p.autocomplete ?? 'new-password'}
      placeholder={p.placeholder ?? p.label}
      aria-label={p.label}
      data-testid={p.testId}
    />
  )
}

/** The head of a full screen (top-up, cash-out): its title and the way back. */
export function ScreenHead(p: {
  id: string
  title: string
  backTestId: string
  onBack: () => void
}) {
  return (
    <div class="section-head">
      <h2 id={p.id}>{p.title}</h2>
      <button type="button" class="small secondary" data-testid={p.backTestId} onClick={p.onBack}>
        Back
      </button>
    </div>
  )
}
