import { describe, expect, it } from 'vitest'
import { parseGateState, type GateState } from './hold'

const held: GateState = {
  state: 'held',
  reasons: [{ kind: 'new-site' }, { kind: 'over-budget', spent: '90', budget: '100' }],
  estimate: { tokens: '20', bytes: '20000000', exact: false },
  heldAt: 1234,
}

describe('parseGateState', () => {
  it('reads back a held state', () => {
    expect(parseGateState(structuredClone(held))).toEqual(held)
  })

  it('reads back a held state with no reasons', () => {
    const g = { ...held, reasons: [] }
    expect(parseGateState(g)).toEqual(g)
  })

  it('reads back every kind of dropped state', () => {
    for (const reason of ['site-blocked', 'declined', 'superseded'] as const) {
      expect(parseGateState({ state: 'dropped', reason, at: 5 })).toEqual({
        state: 'dropped',
        reason,
        at: 5,
      })
    }
  })

  it('keeps only the known fields', () => {
    expect(
      parseGateState({
        ...held,
        extra: 'x',
        estimate: { ...held.estimate, note: 'y' },
      }),
    ).toEqual(held)
    expect(parseGateState({ state: 'dropped', reason: 'declined', at: 1, extra: 2 })).toEqual({
      state: 'dropped',
      reason: 'declined',
      at: 1,
    })
  })

  it('refuses what is not an object', () => {
    for (const raw of [undefined, null, 'held', 3, true, []]) {
      expect(parseGateState(raw), JSON.stringify(raw)).toBeUndefined()
    }
  })

  it('refuses an unknown state', () => {
    expect(parseGateState({ ...held, state: 'waiting' })).toBeUndefined()
    expect(parseGateState({ reason: 'declined', at: 1 })).toBeUndefined()
  })

  it('refuses a held state with missing or mistyped fields', () => {
    const cases: Record<string, unknown>[] = [
      { ...held, reasons: undefined },
      { ...held, reasons: 'new-site' },
      { ...held, heldAt: undefined },
      { ...held, heldAt: '1234' },
      { ...held, estimate: undefined },
      { ...held, estimate: null },
      { ...held, estimate: '20' },
      { ...held, estimate: { bytes: '1', exact: true } },
      { ...held, estimate: { tokens: 20, bytes: '1', exact: true } },
      { ...held, estimate: { tokens: '20', exact: true } },
      { ...held, estimate: { tokens: '20', bytes: 1, exact: true } },
      { ...held, estimate: { tokens: '20', bytes: '1' } },
      { ...held, estimate: { tokens: '20', bytes: '1', exact: 'yes' } },
    ]
    for (const raw of cases) {
      expect(parseGateState(raw), JSON.stringify(raw)).toBeUndefined()
    }
  })

  it('refuses a dropped state with an unknown reason or no time', () => {
    expect(parseGateState({ state: 'dropped', reason: 'expired', at: 1 })).toBeUndefined()
    expect(parseGateState({ state: 'dropped', at: 1 })).toBeUndefined()
    expect(parseGateState({ state: 'dropped', reason: 'declined' })).toBeUndefined()
    expect(parseGateState({ state: 'dropped', reason: 'declined', at: '1' })).toBeUndefined()
  })

  it('refuses a held state whose reasons are of an unknown kind or lack their figures', () => {
    const held = { state: 'held', estimate: { tokens: '1', bytes: '1', exact: true }, heldAt: 1 }
    expect(parseGateState({ ...held, reasons: [{ kind: 'pay-me' }] })).toBeUndefined()
    expect(
      parseGateState({ ...held, reasons: [{ kind: 'over-budget', spent: '1' }] }),
    ).toBeUndefined()
    expect(parseGateState({ ...held, reasons: [null] })).toBeUndefined()
    expect(
      parseGateState({ ...held, reasons: [{ kind: 'over-budget', spent: '1', budget: '2' }] }),
    ).toEqual({
      ...held,
      reasons: [{ kind: 'over-budget', spent: '1', budget: '2' }],
    })
  })
})
