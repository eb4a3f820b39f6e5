// A run's trained model over HTTP, for the browser UI: the service writes the
// model where a path says (runs:exportModel), which a web page cannot name, so
// the server writes it to a temporary folder and sends one of its two files:
//   GET /api/model?id=3&which=last&file=model     → run-3-last.json
//   GET /api/model?id=3&which=last&file=weights   → run-3-last.weights.bin
// The page downloads both (as tfjs's `downloads://` does); the .json names the
// .bin beside it, so tf.loadLayersModel reads them from one folder. Behind the
// same token check as everything else (server.ts).
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { toEnvelope } from '../shared/envelope';
import { answer, fail, withTempFile, type BundleRouteContext } from './bundle-routes';

export const MODEL_PATH = '/api/model';

/** Handles /api/model; false when the request is for another path. */
export async function handleModelRoute(request: IncomingMessage, response: ServerResponse, url: URL, context: BundleRouteContext): Promise<boolean> {
  if (url.pathname !== MODEL_PATH) return false;
  if (request.method !== 'GET') {
    response.writeHead(405, { ...context.headers, Allow: 'GET', 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('Method not allowed');
    return true;
  }
  const idText = url.searchParams.get('id') ?? '';
  const which = url.searchParams.get('which') ?? 'last';
  const file = url.searchParams.get('file');
  if (!/^[1-9]\d{0,15}$/.test(idText)) return (fail(response, 400, context.headers, "Query parameter 'id' must be a run id, e.g. ?id=3."), true);
  if (which !== 'last' && which !== 'best') return (fail(response, 400, context.headers, "Query parameter 'which' must be last or best."), true);
  if (file !== 'model' && file !== 'weights') return (fail(response, 400, context.headers, "Query parameter 'file' must be model (the .json) or weights (the .weights.bin)."), true);
  const id = Number(idText);
  const base = `run-${id}-${which}`;
  await withTempFile(
    context.api,
    async (modelFile) => {
      const written = await toEnvelope(() => context.api.invoke('runs:exportModel', { id, which, path: modelFile }));
      if (!written.ok) return answer(response, context.headers, written);
      const path = file === 'model' ? written.value.modelFile : written.value.weightsFile;
      const { size } = await stat(path);
      response.writeHead(200, {
        ...context.headers,
        'Content-Type': file === 'model' ? 'application/json' : 'application/octet-stream',
        'Content-Length': String(size),
        'Content-Disposition': `attachment; filename="${file === 'model' ? `${base}.json` : `${base}.weights.bin`}"`,
      });
      await pipeline(createReadStream(path), response);
    },
    `${base}.json`,
  );
  return true;
}
