import { describe, expect, it } from 'vitest'
import { judgeApiAnswer } from './api-fuzzer'
import type { ApiFuzzRequest } from './api-requests'

const get: ApiFuzzRequest = { method: 'GET', path: '/api/v1/pool', headers: {}, family: 't' }
const json = { 'content-type': 'application/json; charset=utf-8' }
const body = (v: unknown): Buffer => Buffer.from(JSON.stringify(v))

describe('judgeApiAnswer', () => {
  it('accepts successes and documented JSON errors', () => {
    expect(
      judgeApiAnswer(get, { status: 200, headers: json, body: body({ ok: 1 }) }),
    ).toBeUndefined()
    const e = body({ error: 'unauthorized', message: 'no header', reason: 'missing' })
    expect(judgeApiAnswer(get, { status: 401, headers: json, body: e })).toBeUndefined()
    expect(
      judgeApiAnswer(
        { ...get, method: 'HEAD' },
        { status: 405, headers: json, body: Buffer.alloc(0) },
      ),
    ).toBeUndefined()
    expect(
      judgeApiAnswer(
        { ...get, method: 'OPTIONS' },
        { status: 204, headers: {}, body: Buffer.alloc(0) },
      ),
    ).toBeUndefined()
  })

  it('refuses a 500, text answers, bodies that are not objects, and undocumented codes', () => {
    const e = body({ error: 'internal', message: 'x' })
    expect(judgeApiAnswer(get, { status: 500, headers: json, body: e })).toMatch(/^status 500/)
    expect(
      judgeApiAnswer(get, {
        status: 400,
        headers: { 'content-type': 'text/plain' },
        body: Buffer.from('Bad'),
      }),
    ).toMatch(/content-type text\/plain/)
    expect(judgeApiAnswer(get, { status: 200, headers: json, body: body([1]) })).toMatch(
      /not a JSON object/,
    )
    expect(judgeApiAnswer(get, { status: 400, headers: json, body: Buffer.from('{') })).toMatch(
      /not JSON/,
    )
    expect(
      judgeApiAnswer(get, {
        status: 404,
        headers: json,
        body: body({ error: 'nope', message: 'x' }),
      }),
    ).toMatch(/undocumented error nope/)
    expect(
      judgeApiAnswer(get, { status: 404, headers: json, body: body({ error: 'not_found' }) }),
    ).toMatch(/without error and message/)
    expect(
      judgeApiAnswer({ ...get, method: 'OPTIONS' }, { status: 200, headers: json, body: body({}) }),
    ).toMatch(/OPTIONS answered 200/)
  })
})
