// Property-based fuzzing of the API contract (issue 10) against the real service
// on a temporary data folder, with the real SQLite file: arbitrary JSON for every
// request, as a wire client would send it (JSON text, so `__proto__` arrives as an
// own key), mixed with nearly-valid arguments whose fields are replaced by
// prototype keys, huge numbers, long strings and escaping paths.
//
// Properties: every request answers with an envelope (never a throw, never a raw
// TypeError or SQLite message), Object.prototype is never touched; afterwards the
// service and the WebSocket server still answer, PRAGMA integrity_check is ok and
// no file exists outside the data folder.
//
// Requests go through invokeToEnvelope — the exact path Electron's IPC handler
// and the WebSocket server take — in-process, so 10,000 of them fit in CI time;
// a further batch of raw frames goes over a real WebSocket.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, sep } from 'node:path';
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../../src-main/server/server';
import { Workbench } from '../../../src-main/service/workbench';
import { API_CHANNELS, type ApiChannel, type Envelope, type WireMessage } from '../../../src-main/shared/api';
import { invokeToEnvelope } from '../../../src-main/shared/envelope';
import { recordRun } from '../server/recorded-run';
import { storeOf } from './helpers';

const REQUESTS = 10_000;
const WIRE_FRAMES = 1_000;

// ---- arbitrary JSON as text, so prototype keys survive into JSON.parse as own keys ----

const nastyKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '__proto__.hasOwnProperty', '__proto__.toString', '__proto__.polluted', 'constructor.prototype.polluted', 'model.__proto__.x');
const plausibleKey = fc.constantFrom('id', 'ids', 'path', 'config', 'grid', 'base', 'search', 'name', 'tags', 'notes', 'model', 'arch', 'kernel', 'type', 'epochs', 'format', 'limit', 'offset', 'queue', 'randomDraws', 'repeats', 'sortBy', 'status', 'dataset', 'kervLayers');
const key = fc.oneof({ weight: 3, arbitrary: plausibleKey }, { weight: 2, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: nastyKey });

const hugeNumber = fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 63), 1e-320, 0, -1, 1.5, 4294967297);
const longString = fc.constantFrom('x'.repeat(5_000), '%_'.repeat(20_000), '../'.repeat(300) + 'etc/passwd', 'a'.repeat(100_000));
const path = fc.constantFrom('../../../../tmp/kerv-fuzz-escape', '/tmp/kerv-fuzz-escape', 'ok.kervrun', 'sub/../../escape.kervrun', '/dev/zero', '/etc/passwd', '', '.', 'bundles', '\u0000x', 'C:\\\\x');
const scalarText = fc.oneof(
  fc.integer({ min: -5, max: 50 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  hugeNumber.map((n) => JSON.stringify(n)),
  fc.string({ maxLength: 16 }).map((s) => JSON.stringify(s)),
  path.map((s) => JSON.stringify(s)),
  fc.constantFrom('true', 'false', 'null', '"all"', '"lenet5"', '"polynomial"', '"csv"'),
);

const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 4, arbitrary: scalarText },
    { weight: 1, arbitrary: longString.map((s) => JSON.stringify(s)) },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`) },
    { weight: 3, arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 5 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`) },
  ),
})).value;

/** Nearly-valid arguments per channel, one field replaced by something hostile. */
const hostileValue = fc.oneof(jsonText, hugeNumber.map(String), longString.map((s) => JSON.stringify(s)), path.map((s) => JSON.stringify(s)));
const TEMPLATES: Partial<Record<ApiChannel, Record<string, string>>> = {
  'runs:get': { id: '1' },
  'runs:metrics': { id: '1', sinceStep: '0' },
  'runs:list': { search: '"x"', limit: '10', sortBy: '"name"' },
  'runs:update': { id: '1', notes: '"n"', tags: '["a"]' },
  'runs:start': { config: '{"model":{"arch":"mlp"},"epochs":1}' },
  'runs:exportBundle': { ids: '[1]', path: '"fuzz.kervrun"' },
  'runs:importBundle': { path: '"fuzz.kervrun"' },
  'runs:delete': { ids: '[99999]' },
  'sweeps:start': { base: '{}', grid: '{"optimizer.lr":[0.1,0.2]}', repeats: '1' },
  'compare:get': { ids: '[1,2]' },
  'export:table': { format: '"csv"', runIds: '[1]' },
  'config:validate': { model: '{"arch":"lenet5","kervLayers":[0,7]}' },
  'queue:reorder': { ids: '[]' },
  'settings:set': { concurrency: '1' },
};

const requestArb = fc.oneof(
  // Arbitrary JSON (or nothing) for any channel.
  fc.tuple(fc.constantFrom(...API_CHANNELS), fc.option(jsonText, { nil: undefined })).map(([channel, text]) => ({ channel, text })),
  // A template with one field (or a new one) hostile.
  fc
    .tuple(fc.constantFrom(...(Object.keys(TEMPLATES) as ApiChannel[])), fc.oneof(plausibleKey, nastyKey), hostileValue)
    .map(([channel, field, value]) => {
      const fields = { ...TEMPLATES[channel]!, [field]: value };
      return { channel, text: `{${Object.entries(fields).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}` };
    }),
);

/** A message a user can act on, not a leaked internal error. */
const RAW_ERROR = /TypeError|ReferenceError|Cannot read propert|is not a function|is not iterable|undefined is not|LIKE or GLOB|SQLITE_|Maximum call stack/;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name));
}

describe('API contract under arbitrary input', () => {
  const sandbox = mkdtempSync(join(os.tmpdir(), 'kerv-fuzz-'));
  const dataDir = join(sandbox, 'data');
  const staticDir = join(sandbox, 'static');
  let wb: Workbench;
  let server: RunningServer;
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const cwdBefore = new Set(readdirSync(process.cwd()));

  beforeAll(async () => {
    mkdirSync(staticDir, { recursive: true });
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    wb = await Workbench.open({ dataDir, appVersion: '0.0.0-test', startQueue: false });
    recordRun(storeOf(wb), 'a', { epochs: 2 });
    recordRun(storeOf(wb), 'b', { epochs: 2 });
    await wb.invoke('runs:exportBundle', { ids: [1], path: 'fuzz.kervrun' });
    server = await startServer({ api: wb, staticDir });
  });

  afterAll(async () => {
    await server?.close();
    await wb?.close();
    rmSync(sandbox, { recursive: true, force: true });
    rmSync('/tmp/kerv-fuzz-escape', { recursive: true, force: true });
  });

  it(`answers ${REQUESTS} arbitrary requests with envelopes and clear errors, and stays sound`, async () => {
    let answered = 0;
    const accepted = new Set<string>();
    const raw: string[] = [];
    await fc.assert(
      fc.asyncProperty(requestArb, async ({ channel, text }) => {
        const arg = text === undefined ? undefined : (JSON.parse(text) as unknown);
        const envelope = (await invokeToEnvelope(wb, channel, arg)) as Envelope<unknown>;
        answered++;
        expect(typeof envelope.ok).toBe('boolean');
        if (envelope.ok) accepted.add(channel);
        if (!envelope.ok) {
          expect(typeof envelope.error.message).toBe('string');
          if (RAW_ERROR.test(envelope.error.message)) raw.push(`${channel} ${text?.slice(0, 200)} → ${envelope.error.message.slice(0, 300)}`);
        }
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
      }),
      { numRuns: REQUESTS, seed: 20261126, endOnFailure: true },
    );
    expect(answered).toBe(REQUESTS);
    expect(raw.slice(0, 5)).toEqual([]);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
    // The input reached the handlers, not only the schemas: many channels accepted some of it.
    expect(accepted.size).toBeGreaterThanOrEqual(12);

    // Still answering, the file sound, nothing written outside the data folder.
    expect((await wb.invoke('runs:list', {})).total).toBeGreaterThan(0);
    expect(storeOf(wb).integrityCheck()).toBe('ok');
    expect(filesUnder(sandbox).filter((f) => !f.startsWith(dataDir + sep) && !f.startsWith(staticDir + sep))).toEqual([]);
    expect(existsSync('/tmp/kerv-fuzz-escape')).toBe(false);
    // Relative paths resolve inside the data folder, never against the process's working directory.
    expect(readdirSync(process.cwd()).filter((name) => !cwdBefore.has(name))).toEqual([]);
  });

  it(`answers ${WIRE_FRAMES} arbitrary WebSocket frames over a real socket, then still serves requests`, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const responses = new Map<number, Envelope<unknown>>();
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as WireMessage;
      if (message.kind === 'response') responses.set(message.id, message.envelope);
    });
    const frames = fc.sample(requestArb, { numRuns: WIRE_FRAMES, seed: 7 });
    for (const [i, { channel, text }] of frames.entries()) {
      ws.send(`{"id":${i + 1},"channel":${JSON.stringify(channel)}${text === undefined ? '' : `,"arg":${text}`}}`);
    }
    // One last, valid request. Handlers are async (some touch the disk), so answers may come
    // out of order: wait until every frame, the last included, has its answer.
    ws.send(JSON.stringify({ id: WIRE_FRAMES + 1, channel: 'runs:list', arg: {} }));
    await expect.poll(() => responses.size, { timeout: 120_000, interval: 50 }).toBe(WIRE_FRAMES + 1);
    expect(responses.get(WIRE_FRAMES + 1)!.ok).toBe(true);
    ws.close();
    expect(storeOf(wb).integrityCheck()).toBe('ok');
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
  });
});
