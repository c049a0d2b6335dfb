import { describe, expect, it } from 'vitest'
import { createActivityLog } from './activity-log'
import { createIgnoredReporter } from './ignored-announces'

describe('createIgnoredReporter', () => {
  it('logs a host and reason once, to the console and the activity log', () => {
    const warnings: string[] = []
    const activity = createActivityLog()
    const report = createIgnoredReporter({ activity, warn: (m) => warnings.push(m), now: () => 42 })
    report('tracker.example', 'info_hash must be 20 bytes, got 3')
    report('tracker.example', 'info_hash must be 20 bytes, got 3')
    report('other.example', 'info_hash must be 20 bytes, got 3')
    expect(warnings).toEqual([
      'tseed: ignored an announce to tracker.example: info_hash must be 20 bytes, got 3',
      'tseed: ignored an announce to other.example: info_hash must be 20 bytes, got 3',
    ])
    expect(activity.recent()).toEqual([
      {
        at: 42,
        kind: 'ignored',
        host: 'other.example',
        reason: 'info_hash must be 20 bytes, got 3',
      },
      {
        at: 42,
        kind: 'ignored',
        host: 'tracker.example',
        reason: 'info_hash must be 20 bytes, got 3',
      },
    ])
  })

  it('cuts very long reasons', () => {
    const activity = createActivityLog()
    createIgnoredReporter({ activity, warn: () => undefined, now: () => 0 })('h', 'x'.repeat(500))
    expect(activity.recent()[0]?.reason).toHaveLength(201)
  })
})
