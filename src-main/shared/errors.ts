// The kinds of failure the API contract names, so every adapter reacts to the
// kind instead of reading the message: the WebSocket and IPC envelopes carry the
// code, `kerv serve`'s HTTP routes answer 404/409/400 by it, and the CLI exits
// 1 or 2 by it. An error without one of these codes is a failure of the
// workbench itself (a full disk, a crashed worker), not of the request.
export const ERROR_CODES = ['not_found', 'conflict', 'invalid_input'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * not_found: the request names a run, group or file that does not exist.
 * conflict: the request is well formed but the state forbids it now (resume a completed run, delete a running one).
 * invalid_input: a field, flag or file content is not allowed; `issues` names the fields when there are several.
 */
export class WorkbenchError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Per-field problems (dotted path and what is allowed), for forms that mark each field. */
    readonly issues?: { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'WorkbenchError';
  }
}

export const notFound = (message: string) => new WorkbenchError('not_found', message);
export const conflict = (message: string) => new WorkbenchError('conflict', message);
export const invalidInput = (message: string, issues?: { path: string; message: string }[]) => new WorkbenchError('invalid_input', message, issues);

/** The one wording of a missing run, wherever it is found missing (service, store, CLI). */
export const runNotFound = (id: number) => notFound(`Run ${id} not found.`);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The contract's code of any thrown value (an Error subclass may carry one), else undefined. */
export function errorCodeOf(error: unknown): ErrorCode | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return isErrorCode(code) ? code : undefined;
}
