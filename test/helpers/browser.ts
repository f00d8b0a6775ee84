import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { ROOT } from './processes'

// A real browser for the admin pages: Debian's chromium (found on the PATH; .ci/run installs it),
// driven by playwright-core, which downloads no browser of its own.

/** Flags for a machine without a network to Google: no background calls, no sandbox as root. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
]

function chromiumPath(): string {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim()
    } catch {
      // try the next name
    }
  }
  throw new Error('chromium not found on the PATH: install it (Debian: apt-get install -y chromium); .ci/run does')
}

export async function launchBrowser(t: { teardown(fn: () => unknown): void }): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: FLAGS })
  t.teardown(() => browser.close())
  return browser
}

/** Where screenshots go: kept after the run as test artifacts (tmp/ is not committed). */
export const SCREENSHOTS = path.join(ROOT, 'tmp', 'screenshots')

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true })
}
