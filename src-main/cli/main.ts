// `kerv`: the headless entry point. Subcommands are loaded lazily (see command.ts).
import { errorCodeOf } from '../shared/errors';
import { CliError, EXIT, exitCodeOf, type CliCommand } from './command';

const commands: Record<string, { summary: string; load: () => Promise<{ default: CliCommand }> }> = {
  train: { summary: 'train one model (flags or --config run.json)', load: () => import('./commands/train') },
  runs: { summary: 'list | show | rm | resume stored runs', load: () => import('./commands/runs') },
  sweep: { summary: 'start a grid / random sweep with repeat seeds', load: () => import('./commands/sweep') },
  'lr-find': { summary: 'find a learning rate: the LR range test, kept with the history', load: () => import('./commands/lr-find') },
  compare: { summary: 'compare runs: config diff and metrics', load: () => import('./commands/compare') },
  export: { summary: 'export a result table (csv, md, latex, json)', load: () => import('./commands/export') },
  serve: { summary: 'serve the workbench UI over HTTP for a browser', load: () => import('./commands/serve') },
  datasets: { summary: 'list | download | import datasets', load: () => import('./commands/datasets') },
  worker: { summary: 'train queued runs for a cluster (BullMQ on Redis)', load: () => import('./commands/worker') },
};

/** Errors whose message is the whole story (a stack trace would only hide it), besides those the contract types. */
const USER_FACING_ERRORS = new Set(['StoreError', 'DatasetError']);

function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: kerv <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'kerv <command> --help' for a command's options.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(mainHelp());
    return name ? EXIT.ok : EXIT.usage;
  }
  const entry = commands[name];
  if (!entry) {
    console.error(`kerv: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}.`);
    return EXIT.usage;
  }
  const command = (await entry.load()).default;
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.usage);
    return EXIT.ok;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      console.error(`kerv: ${error.message}`);
      process.exitCode = error.code;
    } else if (error instanceof Error && (errorCodeOf(error) || USER_FACING_ERRORS.has(error.name))) {
      // Bad input, a missing run or a storage problem the user can act on: the sentence, not a stack trace.
      console.error(`kerv: ${error.message}`);
      process.exitCode = exitCodeOf(error);
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = EXIT.failed;
    }
  },
);
