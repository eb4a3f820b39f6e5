// Turns a service call into the one error envelope. Shared by the WebSocket
// server, its HTTP routes and Electron's IPC handlers so all report errors
// identically: the message, the contract's code (shared/errors.ts) and, for
// invalid input, the per-field issues.
import { isApiChannel, type Envelope, type EnvelopeError, type WorkbenchApi } from './api';
import { errorCodeOf, invalidInput } from './errors';

type Issues = NonNullable<EnvelopeError['issues']>;

function issuesOf(error: unknown): Issues | undefined {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return undefined;
  return issues
    .filter((i): i is { path: unknown; message: unknown } => !!i && typeof i === 'object')
    .map((i) => ({ path: String(i.path), message: String(i.message) }));
}

export function errorEnvelope(error: unknown): Envelope<never> {
  const envelopeError: EnvelopeError = { message: error instanceof Error ? error.message : String(error) };
  const code = errorCodeOf(error);
  if (code) envelopeError.code = code;
  const issues = issuesOf(error);
  if (issues) envelopeError.issues = issues;
  return { ok: false, error: envelopeError };
}

/** Runs `fn` and answers its value or its error as an envelope; never throws (adapters hand this across a boundary). */
export async function toEnvelope<T>(fn: () => Promise<T> | T): Promise<Envelope<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return errorEnvelope(error);
  }
}

/** Calls `channel` on the service; never throws. Unknown channels are refused here, before the service. */
export async function invokeToEnvelope(api: WorkbenchApi, channel: unknown, arg: unknown): Promise<Envelope<unknown>> {
  if (!isApiChannel(channel)) return errorEnvelope(invalidInput(`Unknown channel ${JSON.stringify(channel)}`));
  return toEnvelope(async () => {
    const value = await api.invoke(channel, arg as never);
    return value === undefined ? null : value;
  });
}

