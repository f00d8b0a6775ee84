/**
 * The `roles` claim of an app-only access token: the application permissions admin consent
 * granted. Access tokens are meant to be opaque to clients, so this is read only to tell an
 * admin what is missing, never to decide anything; no verification is needed for a token we
 * just obtained ourselves. null when the token is not a readable JWT.
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
export function tokenRoles(token: string): string[] | null {
  const payload = token.split('.')[1]
  if (!payload) return null
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown }
    if (claims === null || typeof claims !== 'object') return null
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : []
  } catch {
    return null
  }
}
