/**
 * Sends generated requests (api-requests.ts) to the relay's HTTP API and
 * checks each answer against docs/relay-api.md: a status from the documented
 * table (never 500), a JSON object body, and for an error `{error, message}`
 * with an `error` code documented for that status. A CORS preflight
 * (OPTIONS) is answered 204 without a body for every path.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import type { ApiFuzzRequest } from './api-requests'

/** docs/relay-api.md, "Status codes", plus the parser's own refusals (docs/relay.md, "HTTP"). */
export const DOCUMENTED_ERRORS: Readonly<Record<number, readonly string[]>> = {
  400: [
    'invalid_json',
    'invalid_amount',
    'amount_out_of_range',
    'missing_field',
    'invalid_field',
    'unknown_field',
    'invalid_query',
    'invalid_input',
    'bad_request',
    'invalid_label',
  ],
  401: ['unauthorized'],
  402: ['insufficient_funds'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  409: [
    'slippage',
    'duplicate_reference',
    'invoice_taken',
    'withdrawal_state',
    'too_many_credentials',
  ],
  413: ['body_too_large'],
  422: ['invalid_invoice', 'zero_output', 'insufficient_liquidity'],
  429: ['rate_limited', 'too_many_pending_deposits'],
  431: ['headers_too_large'],
  502: ['payment_failed', 'lightning_error'],
  503: ['pool_not_bootstrapped', 'lightning_unavailable', 'pool_unavailable'],
}
const SUCCESS = [200, 201, 202]

export interface ApiAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * What is wrong with `answer` to `req`, or undefined when it is as documented.
 *
 * @example
 * judgeApiAnswer(req, { status: 500, headers: {}, body }) // → 'status 500'
 */
export function judgeApiAnswer(req: ApiFuzzRequest, answer: ApiAnswer): string | undefined {
  const { status } = answer
  // A preflight is answered before any route; only the parser may refuse it first.
  if (req.method === 'OPTIONS' && status !== 431 && status !== 400) {
    return status === 204 ? undefined : `OPTIONS answered ${status}`
  }
  if (!SUCCESS.includes(status) && DOCUMENTED_ERRORS[status] === undefined) {
    return `status ${status}: ${answer.body.toString('utf8', 0, 200)}`
  }
  const type = answer.headers['content-type'] ?? ''
  if (!type.startsWith('application/json')) return `status ${status} with content-type ${type}`
  // HEAD has the headers of the answer but never its body.
  if (req.method === 'HEAD') return answer.body.length === 0 ? undefined : 'HEAD answered a body'
  let value: unknown
  try {
    value = JSON.parse(answer.body.toString('utf8'))
  } catch {
    return `status ${status} body is not JSON: ${answer.body.toString('utf8', 0, 200)}`
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `status ${status} body is not a JSON object`
  }
  if (SUCCESS.includes(status)) return undefined
  const { error, message } = value as { error?: unknown; message?: unknown }
  if (typeof error !== 'string' || typeof message !== 'string' || message === '') {
    return `status ${status} without error and message: ${answer.body.toString('utf8', 0, 200)}`
  }
  if (!(DOCUMENTED_ERRORS[status] ?? []).includes(error)) {
    return `status ${status} with undocumented error ${error}`
  }
  return undefined
}

export interface ApiFuzzReport {
  requests: number
  durationMs: number
  /** Answers by status and error code: `401 unauthorized`, `200`, … */
  answers: Record<string, number>
  violations: number
  examples: string[]
}

/** Sends `count` requests from `next` to `origin`, `parallel` at a time, and judges each answer. */
export async function runApiFuzz(o: {
  origin: string
  count: number
  parallel: number
  next: () => Promise<ApiFuzzRequest>
}): Promise<ApiFuzzReport> {
  const report: ApiFuzzReport = {
    requests: 0,
    durationMs: 0,
    answers: {},
    violations: 0,
    examples: [],
  }
  const agent = new Agent({ keepAlive: true, maxSockets: o.parallel })
  const { hostname, port } = new URL(o.origin)
  const started = performance.now()
  let left = o.count
  const worker = async (): Promise<void> => {
    while (left > 0) {
      left--
      const req = await o.next()
      report.requests++
      let why: string | undefined
      let key: string
      try {
        const answer = await send(agent, hostname, Number(port), req)
        why = judgeApiAnswer(req, answer)
        key = `${answer.status}${errorCode(answer)}`
      } catch (err) {
        key = 'no answer'
        why = `no answer: ${err instanceof Error ? err.message : String(err)}`
      }
      report.answers[key] = (report.answers[key] ?? 0) + 1
      if (why !== undefined) {
        report.violations++
        if (report.examples.length < 30) {
          report.examples.push(`${why} <- ${req.method} ${req.path.slice(0, 120)} [${req.family}]`)
        }
      }
    }
  }
  await Promise.all(Array.from({ length: o.parallel }, worker))
  agent.destroy()
  report.durationMs = performance.now() - started
  return report
}

function errorCode(a: ApiAnswer): string {
  if (a.status < 400) return ''
  try {
    const v = JSON.parse(a.body.toString('utf8')) as { error?: unknown }
    return typeof v.error === 'string' ? ` ${v.error}` : ''
  } catch {
    return ''
  }
}

function send(agent: Agent, host: string, port: number, r: ApiFuzzRequest): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...r.headers }
    if (r.body !== undefined) {
      // Node frames a body of GET, DELETE, HEAD or OPTIONS only when told how.
      if (r.chunked === true) headers['Transfer-Encoding'] = 'chunked'
      else headers['Content-Length'] = String(r.body.length)
    }
    const req = request({ host, port, method: r.method, path: r.path, headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
      })
      res.on('error', reject)
    })
    req.setTimeout(10_000, () => req.destroy(new Error('timed out after 10 s')))
    // The relay may answer (413) and close before a huge body is written; that answer counts.
    req.on('error', reject)
    if (r.body !== undefined && r.chunked === true) {
      for (let at = 0; at < r.body.length; at += 4096) req.write(r.body.subarray(at, at + 4096))
    }
    req.end(r.body !== undefined && r.chunked !== true ? r.body : undefined)
  })
}
