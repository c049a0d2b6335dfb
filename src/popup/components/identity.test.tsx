import { describe, expect, it } from 'vitest'
import { byTestId, expand, findAll, one, text, type Element } from '../testing/vnode'
import { flush, submitMany } from '../testing/form-events'
import { IdentitySection, type IdentityProps } from './identity'

const calls: unknown[][] = []
const base: IdentityProps = {
  keyState: 'none',
  npub: null,
  autoLockMinutes: 0,
  exported: null,
  onGenerate: (...a) => (calls.push(['generate', ...a]), Promise.resolve(true)),
  onImport: (...a) => (calls.push(['import', ...a]), Promise.resolve(true)),
  onUnlock: (...a) => (calls.push(['unlock', ...a]), Promise.resolve(true)),
  onLock: () => calls.push(['lock']),
  onProtect: (...a) => (calls.push(['protect', ...a]), Promise.resolve(true)),
  onExport: (...a) => (calls.push(['export', ...a]), Promise.resolve(true)),
  onAutoLock: (m) => calls.push(['autoLock', m]),
  signerKind: 'local',
  onUseNip07: () => calls.push(['nip07']),
  nip07Presence: null,
  nostrConnect: {
    flow: null,
    defaultRelay: 'wss://relay.example',
    onStart: (relay) => (calls.push(['nostrconnect', relay]), Promise.resolve(true)),
    onCancel: () => calls.push(['cancel']),
    onCopy: (text) => calls.push(['copy', text]),
  },
  onUseBunker: (...a) => (calls.push(['bunker', ...a]), Promise.resolve(true)),
  onUseLocal: () => calls.push(['local']),
}

/** The form that contains the element with this test id. */
function formOf(tree: ReturnType<typeof expand>, testId: string): Element {
  const form = findAll(tree, (e) => e.type === 'form' && byTestId([e], testId).length > 0)[0]
  if (form === undefined) throw new Error(`no form around ${testId}`)
  return form
}

describe('IdentitySection', () => {
  it('without a key: explains why a dedicated key, and offers generate and import with a password', async () => {
    calls.length = 0
    const tree = expand(<IdentitySection {...base} />)
    expect(text(one(tree, 'no-key'))).toContain('announces say publicly')
    expect(one(tree, 'new-key-password').props.type).toBe('password')
    expect(one(tree, 'import-key-input').props.type).toBe('password')
    const gen = submitMany(formOf(tree, 'generate-key').props.onSubmit, {
      password: 'pw-12345',
      confirm: 'pw-12345',
    })
    await flush()
    expect(gen.prevented()).toBe(true)
    // Passwords do not linger in the page once the key is made.
    expect(gen.inputs.password?.value).toBe('')
    submitMany(formOf(tree, 'import-key').props.onSubmit, {
      key: 'nsec1x',
      password: 'a',
      confirm: 'b',
    })
    await flush()
    expect(calls).toEqual([
      ['generate', 'pw-12345', 'pw-12345'],
      ['import', 'nsec1x', 'a', 'b'],
    ])
    expect(byTestId(tree, 'replace-key')).toHaveLength(0)
  })

  it('locked: shows whose key and asks for the password', async () => {
    calls.length = 0
    const tree = expand(<IdentitySection {...base} keyState="locked" npub="npub1abc" />)
    expect(text(one(tree, 'npub'))).toBe('npub1abc')
    expect(text(one(tree, 'key-locked'))).toContain('announces wait')
    submitMany(formOf(tree, 'unlock-key').props.onSubmit, { password: 'pw' })
    await flush()
    expect(calls).toEqual([['unlock', 'pw']])
    expect(byTestId(tree, 'lock-key')).toHaveLength(0)
  })

  it('unlocked: lock now, the auto-lock choice, export behind the password, and another key', () => {
    calls.length = 0
    const tree = expand(
      <IdentitySection {...base} keyState="unlocked" npub="npub1abc" autoLockMinutes={60} />,
    )
    expect(text(one(tree, 'key-storage-notice'))).toContain('after 1 hour unused')
    ;(one(tree, 'lock-key').props.onClick as () => void)()
    ;(one(tree, 'auto-lock').props.onChange as (e: unknown) => void)({
      currentTarget: { value: '15' },
    })
    expect(calls).toEqual([['lock'], ['autoLock', 15]])
    expect(byTestId(tree, 'export-nsec')).toHaveLength(0)
    expect(one(tree, 'replace-key').type).toBe('details')
  })

  it('shows an exported key only once it was asked for', () => {
    const tree = expand(
      <IdentitySection
        {...base}
        keyState="unlocked"
        npub="npub1abc"
        exported={{ nsec: 'nsec1secret', ncryptsec: 'ncryptsec1sealed' }}
      />,
    )
    expect(text(one(tree, 'export-nsec'))).toBe('nsec1secret')
    expect(text(one(tree, 'export-ncryptsec'))).toBe('ncryptsec1sealed')
  })

  it('an unprotected key from an older version is offered the one-step protection', async () => {
    calls.length = 0
    const tree = expand(<IdentitySection {...base} keyState="unprotected" npub="npub1abc" />)
    expect(text(one(tree, 'key-unprotected'))).toContain('only until the browser closes')
    submitMany(formOf(tree, 'protect-key').props.onSubmit, { password: 'p1', confirm: 'p1' })
    await flush()
    expect(calls).toEqual([['protect', 'p1', 'p1']])
  })

  it('offers an outside signer, and says what signing with it means', async () => {
    calls.length = 0
    const none = expand(<IdentitySection {...base} />)
    ;(one(none, 'use-nip07').props.onClick as () => void)()
    submitMany(formOf(none, 'connect-bunker').props.onSubmit, { uri: 'bunker://abc' })
    await flush()
    const external = expand(
      <IdentitySection {...base} keyState="external" signerKind="nip07" npub="npub1abc" />,
    )
    expect(text(one(external, 'external-signer'))).toContain('NIP-07')
    expect(text(one(external, 'external-signer'))).toContain('Announces are public')
    ;(one(external, 'use-local-key').props.onClick as () => void)()
    expect(byTestId(external, 'lock-key')).toHaveLength(0)
    expect(calls).toEqual([['nip07'], ['bunker', 'bunker://abc'], ['local']])
  })

  it('says in one line what each way to sign means, and whether a signer extension was found', () => {
    const looking = expand(<IdentitySection {...base} />)
    expect(findAll(looking, (e) => e.type === 'h3').map((h) => text([h]))).toEqual([
      'A new seeding key (recommended)',
      'A key you already have',
      'Your signer extension (NIP-07)',
      'A remote signer (NIP-46)',
    ])
    expect(byTestId(looking, 'nip07-presence')).toHaveLength(0)
    const found = expand(<IdentitySection {...base} nip07Presence="found" />)
    expect(one(found, 'nip07-presence').props['data-presence']).toBe('found')
    expect(text(one(found, 'nip07-presence'))).toContain('active in one of your open tabs')
    const none = expand(<IdentitySection {...base} nip07Presence="none" />)
    expect(text(one(none, 'nip07-presence'))).toContain('Install Alby or nos2x')
    const noTab = expand(<IdentitySection {...base} nip07Presence="no-tab" />)
    expect(text(one(noTab, 'nip07-presence'))).toContain('Open any website')
  })
})
