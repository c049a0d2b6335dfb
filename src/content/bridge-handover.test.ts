import vm from 'node:vm'
import { describe, expect, it } from 'vitest'
import { adoptSecretUnlessBridged, BRIDGE_GLOBAL, GIVEN_SECRET_GLOBAL } from './bridge-handover'

/** Runs the function from its source text in a fresh isolated world, as executeScript does. */
function inWorld(globals: Record<string, unknown>, secret: string) {
  const ctx = vm.createContext(globals)
  const result = vm.runInContext(
    `(${adoptSecretUnlessBridged.toString()})(${JSON.stringify(secret)})`,
    ctx,
  ) as unknown
  return { result, globals: vm.runInContext('globalThis', ctx) as Record<string, unknown> }
}

describe('adoptSecretUnlessBridged', () => {
  it('leaves the secret for the bridge in a frame without one', () => {
    const r = inWorld({}, 's'.repeat(32))
    expect(r.result).toBe(true)
    expect(r.globals[GIVEN_SECRET_GLOBAL]).toBe('s'.repeat(32))
  })

  it('does nothing where a live bridge runs', () => {
    const r = inWorld({ [BRIDGE_GLOBAL]: { alive: () => true } }, 's'.repeat(32))
    expect(r.result).toBe(false)
    expect(r.globals[GIVEN_SECRET_GLOBAL]).toBeUndefined()
  })

  it('replaces a bridge whose extension is gone, or that throws', () => {
    expect(inWorld({ [BRIDGE_GLOBAL]: { alive: () => false } }, 'x').result).toBe(true)
    const throwing = {
      alive: () => {
        throw new Error('Extension context invalidated.')
      },
    }
    expect(inWorld({ [BRIDGE_GLOBAL]: throwing }, 'x').result).toBe(true)
  })
})
