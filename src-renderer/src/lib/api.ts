// The only module that knows how requests and events reach the service:
// Electron's preload bridge (window.api, typed IPC) inside the desktop app, or a
// WebSocket to `kerv serve` in a browser tab. Everything else imports `api` and
// sees the one contract (files travel through bundles.ts and download.ts).
// Errors come back as ApiErrors carrying the service's message, its kind
// (`code`: not_found, conflict, invalid_input) and, for invalid input, the
// per-field issues.
import type {
  ApiArg,
  ApiChannel,
  ApiEventName,
  ApiEvents,
  ApiResult,
  DesktopBridge,
  Envelope,
  PreloadBridge,
  WireMessage,
  WorkbenchApi,
} from '../../../src-main/shared/api';
import type { ErrorCode } from '../../../src-main/shared/errors';

export type Issue = { path: string; message: string };

export class ApiError extends Error {
  constructor(
    message: string,
    readonly issues: Issue[] = [],
    /** What kind of failure (not_found, conflict, invalid_input); undefined when the workbench itself failed. */
    readonly code?: ErrorCode,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw new ApiError(envelope.error.message, envelope.error.issues ?? [], envelope.error.code);
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

type Listener = (payload: unknown) => void;

/**
 * WebSocket client: one socket, requests matched to responses by id, events
 * fanned out to listeners. Reconnects with backoff (the server restarting, a
 * laptop waking up); requests in flight when the socket drops fail with a clear
 * error instead of hanging.
 */
export class SocketClient implements WorkbenchApi {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private listeners = new Map<string, Set<Listener>>();
  private queue: string[] = [];
  private retryMs = 250;
  private stateListeners = new Set<(s: ConnectionState) => void>();
  state: ConnectionState = 'connecting';

  constructor(private readonly url: string) {
    this.connect();
  }

  onState(fn: (s: ConnectionState) => void): () => void {
    this.stateListeners.add(fn);
    fn(this.state);
    return () => this.stateListeners.delete(fn);
  }

  private setState(state: ConnectionState) {
    this.state = state;
    for (const fn of this.stateListeners) fn(state);
  }

  private connect() {
    this.setState('connecting');
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 250;
      this.setState('open');
      for (const frame of this.queue.splice(0)) socket.send(frame);
    };
    socket.onmessage = (event) => this.receive(JSON.parse(String(event.data)) as WireMessage);
    socket.onclose = () => {
      this.setState('closed');
      for (const [, request] of this.pending) request.reject(new ApiError('Lost the connection to the workbench server'));
      this.pending.clear();
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }

  private receive(message: WireMessage) {
    if (message.kind === 'response') {
      const request = this.pending.get(message.id);
      if (!request) return;
      this.pending.delete(message.id);
      try {
        request.resolve(unwrap(message.envelope));
      } catch (error) {
        request.reject(error as Error);
      }
    } else {
      this.listeners.get(message.event)?.forEach((fn) => fn(message.payload));
    }
  }

  invoke<C extends ApiChannel>(channel: C, arg: ApiArg<C>): Promise<ApiResult<C>> {
    const id = this.nextId++;
    const frame = JSON.stringify({ id, channel, arg: arg === undefined ? null : arg });
    return new Promise<ApiResult<C>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame);
      else this.queue.push(frame);
    });
  }

  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    set.add(listener as Listener);
    this.listeners.set(event, set);
    return () => set.delete(listener as Listener);
  }
}

/** Electron: the preload hands back envelopes, unwrapped here exactly as the socket's are. */
function desktopClient(bridge: PreloadBridge): WorkbenchApi {
  return {
    invoke: async (channel, arg) => unwrap(await bridge.request(channel, arg)),
    on: (event, listener) => bridge.on(event, listener),
  };
}

function socketUrl(): string {
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${location.host}/ws`;
}

const bridge = typeof window !== 'undefined' ? window.api : undefined;
const socket = bridge ? null : new SocketClient(socketUrl());

export const api: WorkbenchApi = bridge ? desktopClient(bridge) : socket!;

/** Electron: the desktop calls answer envelopes too, unwrapped the same way. */
function desktopCalls(raw: PreloadBridge['desktop']): DesktopBridge {
  return {
    saveText: async (arg) => unwrap(await raw.saveText(arg)),
    choosePath: async (arg) => unwrap(await raw.choosePath(arg)),
    openPath: async (arg) => unwrap(await raw.openPath(arg)),
    onMenu: (listener) => raw.onMenu(listener),
  };
}

/** Native dialogs and menu commands, only inside the desktop app. */
export const desktop: DesktopBridge | null = bridge ? desktopCalls(bridge.desktop) : null;

export function onConnectionState(fn: (s: ConnectionState) => void): () => void {
  if (!socket) {
    fn('open');
    return () => {};
  }
  return socket.onState(fn);
}

/**
 * Calls fn each time the connection comes back after being lost (the server
 * restarted, the laptop woke up). Events pushed while it was down are gone, so
 * every view that shows server state reloads it here.
 */
export function onReconnect(fn: () => void): () => void {
  let lost = false;
  return onConnectionState((state) => {
    if (state === 'closed') lost = true;
    else if (state === 'open' && lost) {
      lost = false;
      fn();
    }
  });
}
