// What the workbench's services share, and the shape each one exports: a map
// from the contract's channels it answers (shared/api.ts) to handlers. The
// Workbench (workbench.ts) owns these pieces and merges the services' maps into
// one table that must cover every channel, so a request added to the contract
// without a handler fails the typecheck.
import type { ApiArg, ApiChannel, ApiResult } from '../shared/api';
import type { Store } from '../store/store';
import type { DataPaths } from './paths';
import type { Emit, RunScheduler } from './scheduler';

export interface ServiceContext {
  store: Store;
  paths: DataPaths;
  /** Pushes an event to every subscriber (the adapters fan it out to clients). */
  emit: Emit;
  scheduler: RunScheduler;
  /** A path a request names: one an adapter granted (a native dialog, a CLI argument), else confined to the bundles folder. */
  requestPath(path: string, field: string): string;
}

export type Handler<C extends ApiChannel> = (arg: ApiArg<C>) => Promise<ApiResult<C>> | ApiResult<C>;
/** The handlers of the channels `C`: each service answers its own part of the contract. */
export type HandlerMap<C extends ApiChannel> = { [K in C]: Handler<K> };
