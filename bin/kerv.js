#!/usr/bin/env node
// The `kerv` command: runs the bundled CLI, building it first when this is a
// source checkout whose bundle is missing or older than its sources (after a
// `git pull`, an old bundle would otherwise run silently).
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(root, 'out', 'node', 'kerv.js');
// Only a source checkout has the build scripts; an installed package runs its bundle as it is.
const buildState = join(root, 'scripts', 'build-state.mjs');
if (existsSync(buildState)) {
  // A stat walk of the sources (no hashing): milliseconds, so it runs on every call.
  const { isStale } = await import(pathToFileURL(buildState).href);
  if (isStale(root, 'node')) {
    process.stderr.write(existsSync(bundle) ? 'kerv: the sources changed since out/node was built; rebuilding it\n' : 'kerv: building out/node (first run)\n');
    execFileSync(process.execPath, [join(root, 'scripts', 'build-node.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
await import(pathToFileURL(bundle).href);
