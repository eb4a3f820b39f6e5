// Run bundles over HTTP, for the browser UI: the service reads and writes
// .kervrun files by path (runs:exportBundle / runs:importBundle), which a web page
// cannot name, so the server stands in with a temporary file:
//   GET  /api/bundle?ids=1,2  → the bundle as a download (attachment)
//   POST /api/bundle          → the request body is a bundle; answers an Envelope {ids}
// A refused request answers the error envelope with the status its code calls for
// (404 a run not found, 409 a conflict, 400 invalid input, 413 too large, 500 otherwise).
// Both sit behind the same token check as everything else (server.ts); the POST
// also refuses other origins, like the WebSocket upgrade, so no other page can
// make the workbench import runs.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Envelope, EnvelopeError, WorkbenchApi } from '../shared/api';
import { toEnvelope } from '../shared/envelope';
import { LimitError, limitValue } from '../shared/limits';

export const BUNDLE_PATH = '/api/bundle';

export interface BundleRouteContext {
  api: WorkbenchApi;
  /** Headers every response carries (CSP, no-store, ...). */
  headers: Record<string, string>;
  /** Whether the request comes from this server's own page (or is not from a browser at all). */
  sameOrigin: boolean;
}

function sendJson(response: ServerResponse, status: number, headers: Record<string, string>, envelope: Envelope<unknown>): void {
  const body = JSON.stringify(envelope);
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  response.end(body);
}

export function fail(response: ServerResponse, status: number, headers: Record<string, string>, message: string): void {
  sendJson(response, status, headers, { ok: false, error: { message, code: 'invalid_input' } });
}

/** The HTTP status of a failed request, by the contract's code: what the request did wrong, or 500 when the workbench failed. */
export function httpStatusOf(error: EnvelopeError): number {
  switch (error.code) {
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'invalid_input':
      return 400;
    default:
      return 500;
  }
}

/** Answers the service's result as JSON, or its error with the status its code calls for. */
export function answer(response: ServerResponse, headers: Record<string, string>, envelope: Envelope<unknown>): void {
  sendJson(response, envelope.ok ? 200 : httpStatusOf(envelope.error), headers, envelope);
}

/** "1,2,3" → [1, 2, 3]; null when the parameter is missing or holds anything but positive integers. */
export function parseBundleIds(text: string | null): number[] | null {
  if (!text) return null;
  const parts = text.split(',');
  if (!parts.every((p) => /^[1-9]\d{0,15}$/.test(p.trim()))) return null;
  return [...new Set(parts.map((p) => Number(p.trim())))];
}

/** A temporary folder for one request's file (`name`), removed whatever happens. */
export async function withTempFile<T>(api: WorkbenchApi, fn: (file: string) => Promise<T>, name = 'runs.kervrun'): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kerv-download-'));
  const file = join(dir, name);
  // The service confines request paths to its data folder; this one is the server's own.
  const revoke = api.grantPath?.(file);
  try {
    return await fn(file);
  } finally {
    revoke?.();
    await rm(dir, { recursive: true, force: true });
  }
}

async function download(url: URL, response: ServerResponse, context: BundleRouteContext): Promise<void> {
  const ids = parseBundleIds(url.searchParams.get('ids'));
  if (!ids) return fail(response, 400, context.headers, "Query parameter 'ids' must list run ids, e.g. ?ids=1,2.");
  await withTempFile(context.api, async (file) => {
    const written = await toEnvelope(() => context.api.invoke('runs:exportBundle', { ids, path: file }));
    if (!written.ok) return answer(response, context.headers, written);
    const { size } = await stat(file);
    const name = ids.length === 1 ? `run-${ids[0]}.kervrun` : `runs-${ids.slice(0, 5).join('-')}${ids.length > 5 ? '-more' : ''}.kervrun`;
    response.writeHead(200, {
      ...context.headers,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(size),
      'Content-Disposition': `attachment; filename="${name}"`,
    });
    await pipeline(createReadStream(file), response);
  });
}

async function upload(request: IncomingMessage, response: ServerResponse, url: URL, context: BundleRouteContext): Promise<void> {
  if (!context.sameOrigin) return fail(response, 403, context.headers, 'Refused: bundles can only be uploaded from the workbench page itself.');
  // Uploads larger than the limit are refused before any byte is written.
  const maxBytes = limitValue('MAX_BUNDLE_BYTES');
  const declared = Number(request.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    request.resume();
    return fail(response, 413, context.headers, new LimitError('MAX_BUNDLE_BYTES', declared, 'The uploaded bundle').message);
  }
  // The file's own name (the page sends it), so the imported runs say where they came from.
  await withTempFile(context.api, async (file) => {
    let received = 0;
    const limited = async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        received += chunk.length;
        if (received > maxBytes) throw new LimitError('MAX_BUNDLE_BYTES', received, 'The uploaded bundle');
        yield chunk;
      }
    };
    try {
      await pipeline(request, limited, createWriteStream(file));
    } catch (error) {
      return fail(response, 413, context.headers, (error as Error).message);
    }
    if (received === 0) return fail(response, 400, context.headers, 'The request body is empty: send the .kervrun file as the body.');
    answer(response, context.headers, await toEnvelope(() => context.api.invoke('runs:importBundle', { path: file })));
  }, uploadName(url.searchParams.get('name')));
}

/** An uploaded file's name as a plain name inside the temporary folder: no folders, tame characters, a .kervrun ending. */
export function uploadName(given: string | null): string {
  const base = (given ?? '').split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9 ._()-]/g, '_').slice(0, 120);
  if (!base || base.startsWith('.')) return 'runs.kervrun';
  return base.endsWith('.kervrun') ? base : `${base}.kervrun`;
}

/** Handles /api/bundle; false when the request is for another path. */
export async function handleBundleRoute(request: IncomingMessage, response: ServerResponse, url: URL, context: BundleRouteContext): Promise<boolean> {
  if (url.pathname !== BUNDLE_PATH) return false;
  if (request.method === 'GET') await download(url, response, context);
  else if (request.method === 'POST') await upload(request, response, url, context);
  else {
    response.writeHead(405, { ...context.headers, Allow: 'GET, POST', 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('Method not allowed');
  }
  return true;
}
