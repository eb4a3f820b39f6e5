// Turns a service call into the one error envelope. Shared by the WebSocket
// server and Electron's IPC handler so both report errors identically.
import { isApiChannel, type Envelope, type WorkbenchApi } from './api';

type Issues = { path: string; message: string }[];

function issuesOf(error: unknown): Issues | undefined {
  const issues = (error as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return undefined;
  return issues
    .filter((i): i is { path: unknown; message: unknown } => !!i && typeof i === 'object')
    .map((i) => ({ path: String(i.path), message: String(i.message) }));
}

export function errorEnvelope(error: unknown): Envelope<never> {
  const message = error instanceof Error ? error.message : String(error);
  const issues = issuesOf(error);
  return { ok: false, error: issues ? { message, issues } : { message } };
}

/** Calls `channel` on the service; never throws. Unknown channels are refused here, before the service. */
export async function invokeToEnvelope(api: WorkbenchApi, channel: unknown, arg: unknown): Promise<Envelope<unknown>> {
  if (!isApiChannel(channel)) {
    return { ok: false, error: { message: `Unknown channel ${JSON.stringify(channel)}` } };
  }
  try {
    const value = await api.invoke(channel, arg as never);
    return { ok: true, value: value === undefined ? null : value };
  } catch (error) {
    return errorEnvelope(error);
  }
}
