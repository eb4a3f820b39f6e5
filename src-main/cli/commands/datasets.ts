// `kerv datasets`: which datasets are here, download one, or import files you have.
import { resolve } from 'node:path';
import { CACHED_DATASETS } from '../../shared/datasets';
import { CliError, EXIT, parseFlags, type CliCommand } from '../command';
import { DATA_DIR_HELP, openWorkbench, request } from '../workbench-session';
import { textTable } from './runs';

const usage = `Usage: kerv datasets <list|download|import> [options]

  kerv datasets list
      Each dataset: present or not, where it was found, its size.
  kerv datasets download NAME
      Downloads NAME (${CACHED_DATASETS.join(', ')}) into the data folder's cache,
      verified before it is installed.
  kerv datasets import NAME PATH
      Imports NAME from files you already have (a folder or archive in the
      official format).

Options:
${DATA_DIR_HELP}
  -h, --help         show this help`;

function size(bytes: number | null): string {
  if (bytes === null) return '—';
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`;
}

const command: CliCommand = {
  name: 'datasets',
  summary: 'list | download | import datasets',
  usage,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values, positionals } = parseFlags(rest, { 'data-dir': { type: 'string' } }, true);
    if (sub !== 'list' && sub !== 'download' && sub !== 'import') {
      throw new CliError(sub ? `kerv datasets: unknown subcommand '${sub}' (expected list, download, import)` : usage);
    }
    const expected = { list: 0, download: 1, import: 2 }[sub];
    if (positionals.length !== expected) {
      throw new CliError(sub === 'list' ? 'kerv datasets list takes no arguments' : sub === 'download' ? 'kerv datasets download needs a dataset name' : 'kerv datasets import needs a dataset name and a path');
    }
    const wb = await openWorkbench(values['data-dir']);
    try {
      if (sub === 'list') {
        const list = await request(() => wb.invoke('datasets:list', undefined));
        console.log(textTable(['dataset', 'present', 'size', 'location'], list.map((d) => [d.name, d.present ? 'yes' : 'no', size(d.sizeBytes), d.location ?? ''])));
        return EXIT.ok;
      }
      let lastPhase = '';
      const off = wb.on('dataset:progress', (p) => {
        if (p.phase !== lastPhase || p.phase === 'done') {
          lastPhase = p.phase;
          console.error(`${p.name}: ${p.phase}${p.totalBytes ? ` (${size(p.receivedBytes)} of ${size(p.totalBytes)})` : ''}`);
        }
      });
      try {
        const status =
          sub === 'download'
            ? await request(() => wb.invoke('datasets:download', { name: positionals[0] }))
            : await request(() => {
                // A folder on the user's own command line: theirs to choose, wherever it is.
                const folder = resolve(positionals[1]);
                wb.grantPath(folder);
                return wb.invoke('datasets:import', { name: positionals[0], path: folder });
              });
        console.log(`${status.name}: ${status.present ? `ready at ${status.location} (${size(status.sizeBytes)})` : 'not present'}`);
        return status.present ? EXIT.ok : EXIT.failed;
      } finally {
        off();
      }
    } finally {
      await wb.close();
    }
  },
};

export default command;
