/**
 * Headless Chromium for browser tests: Debian's browser (system-deps `chromium`; WEMOE_CHROMIUM names
 * another) driven by playwright-core, with a fresh profile and no network services of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { systemCommand } from '../../src/util/system-deps.js';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Launches the system's Chromium headless with a temporary profile (removed by close). */
export async function launchChromium(): Promise<Chromium> {
  const executable = systemCommand('chromium');
  if (executable === undefined) throw new Error('chromium is not installed');
  const profile = mkdtempSync(join(tmpdir(), 'wemoe-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: executable.includes('/') ? executable : `/usr/bin/${executable}`,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
