// Integration tests fork the real, bundled training worker and CLI, so the
// bundle is rebuilt once before the suite (esbuild: well under a second). A build
// error is reported but does not stop unit tests that need no bundle; `npm test`
// builds first anyway, so a broken build still fails the suite.
import { execFileSync } from 'node:child_process';

export default function setup(): void {
  try {
    execFileSync(process.execPath, ['scripts/build-node.mjs'], { stdio: 'pipe' });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    console.warn(`[global-setup] bundling the node entry points failed; tests that fork them will fail:\n${stderr}`);
  }
}
