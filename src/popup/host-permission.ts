/** The host permission the tracker observer needs to see page requests. */
export const HOST_ORIGINS = ['http://*/*', 'https://*/*']

export interface PermissionsLike {
  contains(p: { origins: string[] }): Promise<boolean>
  request(p: { origins: string[] }): Promise<boolean>
}

export interface HostPermission {
  check(): Promise<boolean>
  /** Must be called straight from a click handler: browsers only prompt on a user gesture. */
  request(): Promise<boolean>
}

/**
 * Firefox lets users withhold or revoke host permissions, and then webRequest
 * sees nothing; Chrome grants them at install. So only Firefox gets a check.
 */
export function createHostPermission(
  browserName: 'chrome' | 'firefox',
  permissions: PermissionsLike,
): HostPermission | null {
  if (browserName !== 'firefox') return null
  return {
    check: () => permissions.contains({ origins: HOST_ORIGINS }),
    request: () => permissions.request({ origins: HOST_ORIGINS }),
  }
}
