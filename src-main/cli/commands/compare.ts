// `kerv compare A B [C ...]`: what differs between runs' configs, how their
// metrics ended, and (for two runs) which sample images one gets right and the other wrong.
import type { Comparison } from '../../shared/api';
import { CliError, EXIT, parseFlags, type CliCommand } from '../command';
import { DATA_DIR_HELP, openWorkbench, parseIds, request } from '../workbench-session';
import { textTable } from './runs';
import { formatPercent } from '../../shared/format';
import { runNotFound } from '../../shared/errors';

const usage = `Usage: kerv compare ID ID [ID ...] [options]

Prints the config fields that differ between the runs (only those), each run's
final metrics, and for exactly two runs the sample images right in one and
wrong in the other at their last common epoch.

  --json             the whole comparison (config diff, aligned metric series, flips) as JSON
${DATA_DIR_HELP}
  -h, --help         show this help`;

const show = (v: unknown) => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));

export function formatComparison(c: Comparison): string {
  const ids = c.runs.map((r) => `run ${r.id}`);
  const parts: string[] = [];
  parts.push(c.configDiff.length === 0 ? 'Configs are identical.' : textTable(['field', ...ids], c.configDiff.map((d) => [d.path, ...d.values.map(show)])));
  const lastLoss = (id: number) => {
    const s = c.metrics[id]?.steps;
    return s && s.loss.length > 0 ? s.loss[s.loss.length - 1].toFixed(4) : '—';
  };
  parts.push(
    textTable(
      ['metric', ...ids],
      [
        ['status', ...c.runs.map((r) => r.status)],
        ['steps', ...c.runs.map((r) => String(r.step))],
        ['last step loss', ...c.runs.map((r) => lastLoss(r.id))],
        ['best val acc', ...c.runs.map((r) => formatPercent(r.bestValidationAccuracy))],
        ['test acc', ...c.runs.map((r) => formatPercent(r.testAccuracy))],
      ],
    ),
  );
  if (c.flipped) {
    const [a, b] = c.runs;
    parts.push(
      `Sample images right in run ${a.id} only: ${c.flipped.rightInAOnly.length}${c.flipped.rightInAOnly.length ? ` (${c.flipped.rightInAOnly.map((f) => `#${f.sampleIndex}`).join(' ')})` : ''}\n` +
        `Sample images right in run ${b.id} only: ${c.flipped.rightInBOnly.length}${c.flipped.rightInBOnly.length ? ` (${c.flipped.rightInBOnly.map((f) => `#${f.sampleIndex}`).join(' ')})` : ''}`,
    );
  }
  return parts.join('\n\n');
}

const command: CliCommand = {
  name: 'compare',
  summary: 'compare runs: config diff and metrics',
  usage,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' }, 'data-dir': { type: 'string' } }, true);
    const ids = positionals.flatMap((p) => parseIds(p, 'run id'));
    if (ids.length < 2) throw new CliError('kerv compare needs at least two run ids (e.g. kerv compare 3 7)');
    const wb = await openWorkbench(values['data-dir']);
    try {
      const comparison = await request(() => wb.invoke('compare:get', { ids }));
      // A typed id that does not exist is a mistake to report, not a run to skip silently.
      if (comparison.missing.length > 0) throw new CliError(comparison.missing.map((id) => runNotFound(id).message).join(' '), EXIT.failed);
      console.log(values.json ? JSON.stringify(comparison, null, 2) : formatComparison(comparison));
      return EXIT.ok;
    } finally {
      await wb.close();
    }
  },
};

export default command;
