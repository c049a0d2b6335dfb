/**
 * `/api/v1/tracker-credentials`: personal tracker URLs for desktop clients
 * (docs/tracker.md). Issued, listed and revoked with NIP-98; the URL itself
 * then authenticates announces for as long as it is not revoked.
 */
import { CredentialError, MAX_LABEL_CHARS } from '../tracker/credentials'
import type { ApiHandler, ApiReply } from './context'
import { ApiError } from './errors'
import { onlyFields } from './json'

/** The personal URLs of a credential, on the base the client reached the API at. */
export function trackerUrls(
  base: string,
  credential: string,
): { announce: string; scrape: string } {
  const root = `${base.replace(/\/+$/, '')}/t/${credential}`
  return { announce: `${root}/announce`, scrape: `${root}/scrape` }
}

/**
 * `POST /api/v1/tracker-credentials {label?}`: a new credential for the
 * caller, with its announce URL. The credential is in this answer only.
 */
export const postTrackerCredential: ApiHandler = (s, req): ApiReply => {
  onlyFields(req.body, ['label'])
  const label = req.body.label ?? ''
  if (typeof label !== 'string') {
    throw new ApiError(
      400,
      'invalid_field',
      `label must be a string of at most ${MAX_LABEL_CHARS} characters`,
    )
  }
  try {
    const c = s.trackerCredentials.issue(req.pubkey, label, s.now())
    const urls = trackerUrls(s.publicUrl ?? req.origin, c.credential)
    return {
      status: 201,
      body: {
        pubkey: req.pubkey,
        id: c.id,
        credential: c.credential,
        label: c.label,
        created_at: c.createdAt,
        last_used_at: null,
        announce_url: urls.announce,
        scrape_url: urls.scrape,
      },
    }
  } catch (err) {
    if (err instanceof CredentialError) {
      throw new ApiError(err.code === 'too_many_credentials' ? 409 : 400, err.code, err.message)
    }
    throw err
  }
}

/** `GET /api/v1/tracker-credentials`: the caller's active credentials, without their secrets. */
export const getTrackerCredentials: ApiHandler = (s, req): ApiReply => ({
  body: {
    pubkey: req.pubkey,
    credentials: s.trackerCredentials.list(req.pubkey).map((c) => ({
      id: c.id,
      label: c.label,
      created_at: c.createdAt,
      last_used_at: c.lastUsedAt,
    })),
  },
})

/**
 * `DELETE /api/v1/tracker-credentials/{id}`: revokes one of the caller's
 * credentials. Its next announce is refused; someone else's id is 404,
 * like an unknown one.
 */
export const deleteTrackerCredential: ApiHandler = (s, req): ApiReply => {
  const id = req.params[0] ?? ''
  const now = s.now()
  if (!s.trackerCredentials.revoke(req.pubkey, id, now)) {
    throw new ApiError(404, 'not_found', `no active tracker credential ${id}`)
  }
  return { body: { pubkey: req.pubkey, id, revoked_at: now } }
}
