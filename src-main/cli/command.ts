// The shape of one `kerv` subcommand. Each lives in cli/commands/<name>.ts and is
// loaded only when invoked, so `kerv runs list` never pays for loading tfjs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorCodeOf } from '../shared/errors';

export interface CliCommand {
  name: string;
  /** One line for `kerv --help`. */
  summary: string;
  /** Full text for `kerv <name> --help`. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

/** Exit codes scripts can rely on. */
export const EXIT = {
  ok: 0,
  /** The command could not do it: a run failed or diverged, a run or group was not found, the run's state forbids the action. */
  failed: 1,
  /** Bad usage: unknown flag, a value or field that is not allowed. */
  usage: 2,
  /** Interrupted by the user (Ctrl+C). */
  interrupted: 130,
} as const;

/** The exit code of an error the service typed (shared/errors.ts): input the user must fix exits 2, anything else 1. */
export function exitCodeOf(error: unknown): number {
  return errorCodeOf(error) === 'invalid_input' ? EXIT.usage : EXIT.failed;
}

/** An error whose message is shown as-is (no stack) and that exits with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** node:util parseArgs, with unknown flags reported as a CliError naming the flag. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new CliError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/**
 * An optional integer flag: undefined when absent, else an integer in [min, max],
 * or a CliError that names the flag and the allowed range.
 */
export function intFlag(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new CliError(`--${name} must be an integer ${range}, got '${value}'`);
  }
  return n;
}
