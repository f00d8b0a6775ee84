/** A response body as JSON when its content type says JSON and it parses; the text otherwise. */
export function parseJsonBody(text: string, contentType: string | null): unknown {
  if (!text || !/json/i.test(contentType ?? '')) return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
