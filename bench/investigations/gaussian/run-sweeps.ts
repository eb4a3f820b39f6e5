// Runs the investigation's sweeps on their own (bench/reproduction-investigation.ts)
// and writes the Markdown section to a file:
//   node_modules/.bin/esbuild bench/investigations/gaussian/run-sweeps.ts --bundle --platform=node \
//     --format=esm --packages=external --outfile=out/node/gaussian-sweeps.js
//   nice node out/node/gaussian-sweeps.js OUT.md [DATA_DIR] [hypothesis,...]
// Sweeps already complete in DATA_DIR (same settings) are exported, not trained again.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gaussianInvestigation } from '../../reproduction-investigation';

const [out, dataDir = '.kerv-data/gaussian-investigation', only] = process.argv.slice(2);
if (!out) {
  console.error('usage: gaussian-sweeps.js OUT.md [DATA_DIR] [hypothesis,...]');
  process.exit(2);
}
const section = await gaussianInvestigation({
  dataDir: resolve(dataDir),
  kervCli: resolve('bin/kerv.js'),
  seeds: 3,
  trainSubset: 5000,
  testSubset: 2000,
  epochs: 2,
  log: (m) => process.stderr.write(`[gaussian] ${m}\n`),
  only: only ? only.split(',') : undefined,
  reuse: true,
});
writeFileSync(out, section);
process.stderr.write(`[gaussian] wrote ${out}\n`);
