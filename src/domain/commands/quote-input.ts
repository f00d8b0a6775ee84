// Text a person typed (or a meeting subject) shown back inside Markdown: no control or bidi
// characters that could reorder or hide the reply (https://unicode.org/reports/tr9/), no
// backticks that would end the code span, one line, at most `max` characters.

const UNSAFE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu

export function quoteInput(text: string, max = 60): string {
  const clean = text.replace(UNSAFE, ' ').replace(/`/g, "'").replace(/\s+/gu, ' ').trim()
  const chars = [...clean]
  return chars.length <= max
    ? clean
    : chars
        .slice(0, max - 1)
        .join('')
        .trimEnd() + '…'
}
