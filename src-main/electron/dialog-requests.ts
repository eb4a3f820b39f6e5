// The arguments of the desktop-only calls (native save/open dialogs), checked
// like any request from the page: the renderer is sandboxed, not trusted. No
// Electron import, so the checks are tested without the Electron binary. The
// IPC handlers in main.ts answer envelopes (shared/envelope.ts toEnvelope):
// a bad argument comes back as an invalid_input error, never as a throw.
import { invalidInput } from '../shared/errors';

export type FileFilter = { name: string; extensions: string[] };

function record(raw: unknown, call: string): Record<string, unknown> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidInput(`${call}: the argument must be an object`);
  return raw as Record<string, unknown>;
}

function text(value: unknown, call: string, field: string): string {
  if (typeof value !== 'string') throw invalidInput(`${call}: ${field} must be a string`, [{ path: field, message: 'must be a string' }]);
  return value;
}

function filters(value: unknown, call: string): FileFilter[] | undefined {
  if (value === undefined) return undefined;
  const valid =
    Array.isArray(value) &&
    value.every((f) => !!f && typeof f === 'object' && typeof f.name === 'string' && Array.isArray(f.extensions) && f.extensions.every((e: unknown) => typeof e === 'string'));
  if (!valid) throw invalidInput(`${call}: filters must be a list of {name, extensions: [strings]}`, [{ path: 'filters', message: 'must be a list of {name, extensions}' }]);
  return (value as FileFilter[]).map((f) => ({ name: f.name, extensions: [...f.extensions] }));
}

export function saveTextArg(raw: unknown): { defaultName: string; text: string; filters?: FileFilter[] } {
  const arg = record(raw, 'dialog:save');
  return { defaultName: text(arg.defaultName, 'dialog:save', 'defaultName'), text: text(arg.text, 'dialog:save', 'text'), filters: filters(arg.filters, 'dialog:save') };
}

export function choosePathArg(raw: unknown): { defaultName: string; filters?: FileFilter[] } {
  const arg = record(raw, 'dialog:choose-save-path');
  return { defaultName: text(arg.defaultName, 'dialog:choose-save-path', 'defaultName'), filters: filters(arg.filters, 'dialog:choose-save-path') };
}

export function openPathArg(raw: unknown): { title?: string; directory: boolean; filters?: FileFilter[] } {
  const arg = record(raw, 'dialog:open');
  return {
    title: arg.title === undefined ? undefined : text(arg.title, 'dialog:open', 'title'),
    directory: arg.directory === true,
    filters: filters(arg.filters, 'dialog:open'),
  };
}
