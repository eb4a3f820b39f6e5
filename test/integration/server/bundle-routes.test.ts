// Run bundles over HTTP (what the browser UI uses): the real service behind the
// real server on a real socket. A run exported as a download and uploaded back
// becomes a new run with the same metrics; the routes keep the token gate and
// refuse uploads from other origins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startServer, type RunningServer } from '../../../src-main/server/server';
import { Workbench } from '../../../src-main/service/workbench';
import { recordRun } from './recorded-run';
import { storeOf } from '../service/helpers';

describe('bundle routes of kerv serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerv-bundle-http-'));
  let wb: Workbench;
  let server: RunningServer;
  let origin: string;
  let recorded: number;
  const auth = () => ({ Cookie: `kerv_token=${server.token}` });

  beforeAll(async () => {
    // No queue: nothing trains here, the run is recorded straight into the store.
    wb = await Workbench.open({ dataDir: dir, appVersion: '0.0.0-test', startQueue: false });
    recorded = recordRun(storeOf(wb), 'bundled', { epochs: 2 });
    storeOf(wb).transaction(() => storeOf(wb).runs.update(recorded, { tags: ['paper'], notes: 'keep' }));
    server = await startServer({ api: wb, staticDir: dir });
    origin = new URL(server.url).origin;
  });

  afterAll(async () => {
    await server?.close();
    await wb?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads a bundle and imports it back as a new run with the same metrics', async () => {
    const download = await fetch(`${origin}/api/bundle?ids=${recorded}`, { headers: auth() });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="run-${recorded}.kervrun"`);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(JSON.parse(gunzipSync(bytes).toString('utf8')).format).toBe('kervrun');

    const upload = await fetch(`${origin}/api/bundle`, {
      method: 'POST',
      headers: { ...auth(), Origin: origin, 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    const envelope = (await upload.json()) as { ok: boolean; value: { ids: number[] } };
    expect(upload.status).toBe(200);
    expect(envelope.ok).toBe(true);
    const [imported] = envelope.value.ids;
    expect(imported).not.toBe(recorded);

    const [before, after] = await Promise.all([wb.invoke('runs:get', { id: recorded }), wb.invoke('runs:get', { id: imported })]);
    expect([after.name, after.status, after.tags, after.notes]).toEqual(['bundled', 'completed', ['paper'], 'keep']);
    expect(after.experimentHash).toBe(before.experimentHash);
    expect(after.bestValidationAccuracy).toBe(0.72);
    const [m1, m2] = await Promise.all([wb.invoke('runs:metrics', { id: recorded }), wb.invoke('runs:metrics', { id: imported })]);
    expect(m2.steps.step).toHaveLength(20);
    expect(m2.steps).toEqual(m1.steps);
    expect(m2.epochs.map((e) => e.validationAccuracy)).toEqual([0.61, 0.72]);
  });

  it('keeps the uploaded file’s name as the runs’ origin, confined to a plain name (issue 22)', async () => {
    const bytes = Buffer.from(await (await fetch(`${origin}/api/bundle?ids=${recorded}`, { headers: auth() })).arrayBuffer());
    const upload = async (name: string) => {
      const response = await fetch(`${origin}/api/bundle?name=${encodeURIComponent(name)}`, { method: 'POST', headers: { ...auth(), Origin: origin, 'Content-Type': 'application/octet-stream' }, body: bytes });
      const [id] = ((await response.json()) as { value: { ids: number[] } }).value.ids;
      return (await wb.invoke('runs:get', { id })).origin;
    };
    expect(await upload('results 2026-12.kervrun')).toMatch(new RegExp(`^imported from results 2026-12\\.kervrun \\(run ${recorded} there\\) at \\d{4}-`));
    expect(await upload('../../etc/passwd')).toMatch(/^imported from passwd\.kervrun /);
    expect(await upload('.hidden')).toMatch(/^imported from runs\.kervrun /);
  });

  it('needs the token, names bad ids, refuses other origins and junk uploads', async () => {
    expect((await fetch(`${origin}/api/bundle?ids=${recorded}`)).status).toBe(401);
    expect((await fetch(`${origin}/api/bundle`, { method: 'POST', body: 'x' })).status).toBe(401);

    const badIds = await fetch(`${origin}/api/bundle?ids=1,abc`, { headers: auth() });
    expect(badIds.status).toBe(400);
    expect(((await badIds.json()) as { error: { message: string } }).error.message).toMatch(/'ids'/);
    const unknown = await fetch(`${origin}/api/bundle?ids=999`, { headers: auth() });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string; code: string } }).error).toEqual({ message: 'Run 999 not found.', code: 'not_found' });

    const before = (await wb.invoke('runs:list', {})).total;
    const crossSite = await fetch(`${origin}/api/bundle`, { method: 'POST', headers: { ...auth(), Origin: 'http://evil.example' }, body: 'x' });
    expect(crossSite.status).toBe(403);
    const junk = await fetch(`${origin}/api/bundle`, { method: 'POST', headers: { ...auth(), Origin: origin }, body: 'not a bundle' });
    expect(junk.status).toBe(400);
    expect(((await junk.json()) as { ok: boolean }).ok).toBe(false);
    const empty = await fetch(`${origin}/api/bundle`, { method: 'POST', headers: { ...auth(), Origin: origin } });
    expect(empty.status).toBe(400);
    expect((await wb.invoke('runs:list', {})).total).toBe(before);
  });
});
