// One e2e file's setup and teardown, in one place: a data folder seeded through
// the real store, `kerv serve` on it, Chromium and a page on the workbench; and
// the whole-screen screenshot. Separate from harness.ts because it hands DOM code
// to the page (page.evaluate), and the Node programs that import the harness
// compile without DOM types.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { dataPaths } from '../../src-main/service/paths';
import { Store } from '../../src-main/store/store';
import { RunHold } from '../hold';
import { launchChromium, openWorkbench, RESULTS, startServe, type ServeProcess } from './harness';

/** One e2e file's world: a data folder, a real `kerv serve` on it, Chromium, and a page on the workbench. */
export interface UiSession {
  dataDir: string;
  serve: ServeProcess;
  browser: Browser;
  page: Page;
  /** What the page threw; every file ends by asserting it is empty. */
  pageErrors: string[];
  /** Holds the server's runs at a step (test/hold.ts), for a test that acts while a run trains. Released at first. */
  hold: RunHold;
  /** Closes the browser, stops the server and removes the data folder; the server's exit code. */
  close(): Promise<number | null>;
}

/**
 * Opens a UiSession on a new data folder. `seed` writes runs through the real
 * store before the server opens the folder (recorded metrics, queued runs,
 * settings), so a test starts from a known history without training it; it may
 * also set the hold, so that queued runs pause as soon as the server starts them.
 */
export async function openUiSession(prefix: string, seed?: (store: Store, hold: RunHold) => void): Promise<UiSession> {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const hold = new RunHold();
  if (seed) {
    const store = Store.open({ file: dataPaths(dataDir).database });
    try {
      seed(store, hold);
    } finally {
      store.close();
    }
  }
  const serve = await startServe(dataDir, { env: hold.env });
  const browser = await launchChromium();
  const pageErrors: string[] = [];
  const { page } = await openWorkbench(browser, serve, pageErrors);
  return {
    dataDir,
    serve,
    browser,
    page,
    pageErrors,
    hold,
    async close() {
      await browser.close();
      hold.release();
      const code = await serve.stop();
      rmSync(dataDir, { recursive: true, force: true });
      hold.dispose();
      return code;
    },
  };
}

/** A picture of the whole screen: the app scrolls inside <main>, so the viewport grows to its content, then back. */
export async function screenshotScreen(page: Page, name: string): Promise<void> {
  // Transient notices (a previous scenario's toasts) are not part of the screen.
  for (const toast of await page.locator('.toast').all()) await toast.click().catch(() => {});
  const height = await page.evaluate(() => Math.max(960, Math.ceil(document.querySelector('main')!.scrollHeight)));
  await page.setViewportSize({ width: 1440, height: Math.min(height, 4000) });
  await page.waitForTimeout(300); // charts resize on the next frame
  await page.screenshot({ path: join(RESULTS, `${name}.png`) });
  await page.setViewportSize({ width: 1440, height: 960 });
}
