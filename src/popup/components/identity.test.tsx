import { describe, expect, it } from 'vitest'
import { byTestId, expand, findAll, one, text } from '../testing/vnode'
import { flush, submit } from '../testing/form-events'
import { IdentitySection } from './identity'

describe('IdentitySection', () => {
  it('shows the npub and the temporary-storage notice', () => {
    const tree = expand(
      <IdentitySection
        npub="npub1abc"
        onGenerate={() => undefined}
        onImport={() => Promise.resolve(true)}
      />,
    )
    expect(text(one(tree, 'npub'))).toBe('npub1abc')
    expect(text(one(tree, 'key-storage-notice'))).toContain('lost when the browser closes')
    expect(byTestId(tree, 'no-key')).toHaveLength(0)
  })

  it('offers to generate a key when there is none', () => {
    let generated = 0
    const tree = expand(
      <IdentitySection
        npub={null}
        onGenerate={() => generated++}
        onImport={() => Promise.resolve(true)}
      />,
    )
    expect(byTestId(tree, 'npub')).toHaveLength(0)
    ;(one(tree, 'generate-key').props.onClick as () => void)()
    expect(generated).toBe(1)
    expect(one(tree, 'import-key-input').props.type).toBe('password')
    expect(one(tree, 'import-key').props.type).toBe('submit')
  })

  it('imports the typed key and clears the field only on success', async () => {
    const keys: string[] = []
    let ok = false
    const tree = expand(
      <IdentitySection
        npub={null}
        onGenerate={() => undefined}
        onImport={(k) => {
          keys.push(k)
          return Promise.resolve(ok)
        }}
      />,
    )
    const onSubmit = findAll(tree, (e) => e.type === 'form')[0]?.props.onSubmit
    const failed = submit(onSubmit, 'bad')
    await flush()
    expect(failed.prevented()).toBe(true)
    expect(failed.input.value).toBe('bad')
    ok = true
    const worked = submit(onSubmit, 'nsec1good')
    await flush()
    expect(worked.input.value).toBe('')
    expect(keys).toEqual(['bad', 'nsec1good'])
  })
})
