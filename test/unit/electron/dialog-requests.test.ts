// The desktop dialogs' arguments come from the page: a bad one is refused as
// invalid input naming the field, in the envelope the IPC handler answers with.
import { describe, expect, it } from 'vitest';
import { choosePathArg, openPathArg, saveTextArg } from '../../../src-main/electron/dialog-requests';
import { toEnvelope } from '../../../src-main/shared/envelope';

describe('desktop dialog arguments', () => {
  it('accepts what the renderer sends', () => {
    const filters = [{ name: 'CSV', extensions: ['csv'] }];
    expect(saveTextArg({ defaultName: 'runs.csv', text: 'a,b\n', filters })).toEqual({ defaultName: 'runs.csv', text: 'a,b\n', filters });
    expect(choosePathArg({ defaultName: 'run-1.kervrun' })).toEqual({ defaultName: 'run-1.kervrun', filters: undefined });
    expect(openPathArg(undefined)).toEqual({ title: undefined, directory: false, filters: undefined });
    expect(openPathArg({ title: 'Import', directory: true })).toEqual({ title: 'Import', directory: true, filters: undefined });
  });

  it('refuses a bad argument as an invalid_input envelope naming the field', async () => {
    await expect(toEnvelope(() => saveTextArg({ defaultName: 'x.csv', text: 3 }))).resolves.toEqual({
      ok: false,
      error: { message: 'dialog:save: text must be a string', code: 'invalid_input', issues: [{ path: 'text', message: 'must be a string' }] },
    });
    await expect(toEnvelope(() => choosePathArg('run.kervrun'))).resolves.toMatchObject({ ok: false, error: { code: 'invalid_input', message: 'dialog:choose-save-path: the argument must be an object' } });
    await expect(toEnvelope(() => openPathArg({ filters: [{ name: 'x', extensions: 'csv' }] }))).resolves.toMatchObject({ ok: false, error: { code: 'invalid_input', issues: [{ path: 'filters' }] } });
    await expect(toEnvelope(() => openPathArg({ title: 5 }))).resolves.toMatchObject({ ok: false, error: { issues: [{ path: 'title' }] } });
  });
});
