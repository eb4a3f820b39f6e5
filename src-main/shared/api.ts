// The one API contract between the workbench service and every client: Electron's
// IPC handler, the preload bridge, the `kerv serve` WebSocket server and the
// renderer's client are all generic over these two maps. Add a request here and
// every adapter carries it; the types flow to both ends.
import type { AshaOptions, AshaOptionsInput, RungRecord } from './asha';
import type { ErrorCode } from './errors';
import type { LrFindOptionsInput, LrFindPoint, LrFindRecord, LrFindStatus, LrFindSummary } from './lr-find';
import type { BackendChoice, RunConfig, RunConfigInput } from './run-config';
import type { ExportFormat } from './table-format';
import type {
  DatasetInfo,
  EpochMetrics,
  RunEnvironment,
  SampleImage,
  ScalarSample,
  StepMetrics,
  TrainSummary,
} from './progress';

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A row of the runs table: what the list screen and `kerv runs list` show. */
export interface RunRow {
  id: number;
  name: string;
  status: RunStatus;
  dataset: string;
  arch: string;
  kernel: string;
  seed: number;
  configHash: string;
  /**
   * sha256 of the canonical config without name and seed: the experiment a run
   * repeats. Runs that differ only in seed share it ("group by config").
   */
  experimentHash: string;
  groupId: number | null;
  tags: string[];
  bestValidationAccuracy: number | null;
  testAccuracy: number | null;
  /** Last step written, and the total the run aims for. */
  step: number;
  totalSteps: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error: string | null;
  /** Only when the list query asked for them (RunListQuery.withConfig): tables with config columns, hyperparameter views. */
  config?: RunConfig;
  summary?: TrainSummary | null;
}

export interface RunDetail extends RunRow {
  config: RunConfig;
  notes: string;
  environment: RunEnvironment | null;
  dataset_info: DatasetInfo | null;
  parameterCount: number | null;
  summary: TrainSummary | null;
  /** Whether a checkpoint exists to resume from. */
  resumable: boolean;
  /** The cluster worker that trains (or trained) the run; null when it trained on this machine. */
  ranOn?: string | null;
  /**
   * Where the run came from, in words: null for a run started here, 're-run of
   * run 12', 'kerv train', or 'imported from results.kervrun (run 5 there) at
   * <ISO time>' for a run trained elsewhere and imported from a bundle.
   */
  origin: string | null;
}

/** Step metrics in columnar form: one array per StepMetrics field, index-aligned. */
export type StepSeries = { [K in keyof StepMetrics]: StepMetrics[K][] };

export interface RunMetrics {
  steps: StepSeries;
  epochs: EpochMetrics[];
}

/** One named diagnostic series (see ScalarSample for the naming convention), columnar. */
export interface ScalarSeries {
  step: number[];
  wallTimeMs: number[];
  value: number[];
}

export const FILTER_OPS = ['<', '<=', '=', '!=', '>=', '>'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

/**
 * One condition of the runs table's filter. `field` is a run field (see
 * shared/run-fields.ts): a RunRow key ('bestValidationAccuracy', 'kernel'), a
 * summary metric ('summary.testLoss'), a config path ('config.optimizer.lr') or
 * 'tag' (= means the run has that tag).
 */
export interface RunFilter {
  field: string;
  op: FilterOp;
  value: number | string;
}

export interface RunListQuery {
  /** Free text matched against name, dataset, arch, kernel and tags. */
  search?: string;
  status?: RunStatus[];
  groupId?: number;
  /** Only the repeats of one experiment (RunRow.experimentHash). */
  experimentHash?: string;
  /**
   * A run field (see shared/run-fields.ts): 'experimentHash' keeps the repeats of
   * an experiment next to each other across pages; config paths and summary
   * metrics ('config.optimizer.lr', 'summary.testLoss') sort too.
   */
  sortBy?: RunSortKey;
  sortDir?: 'asc' | 'desc';
  /** Every condition must hold. */
  where?: RunFilter[];
  /** Include each run's config and summary in its row. */
  withConfig?: boolean;
  limit?: number;
  offset?: number;
}

/** A field the runs list sorts by: any run field but tags (shared/run-fields.ts isSortField). */
export type RunSortKey = string;

export type { ExportFormat };

export interface ExportRequest {
  runIds?: number[];
  groupIds?: number[];
  /** Dotted config paths (e.g. "model.kernel.type") or metric names (see the service's column list). */
  columns?: string[];
  /** Group rows by these config paths (the seed is always ignored): mean ± std and n. */
  groupBy?: string[];
  format: ExportFormat;
}

export interface ConfigDiffRow {
  path: string;
  /** One value per compared run, in the order asked. */
  values: unknown[];
}

export interface FlippedSample {
  sampleIndex: number;
  image: SampleImage;
  predictionA: number;
  predictionB: number;
}

export interface Comparison {
  runs: RunRow[];
  /** Asked-for runs that do not exist (deleted since the link was made): the others are still compared. */
  missing: number[];
  configDiff: ConfigDiffRow[];
  metrics: Record<number, RunMetrics>;
  /** Only for exactly two runs: right in A and wrong in B, and the reverse (last common epoch). */
  flipped: { rightInAOnly: FlippedSample[]; rightInBOnly: FlippedSample[] } | null;
}

export interface LayerRow {
  name: string;
  type: string;
  outputShape: (number | null)[];
  params: number;
  /** The kernel when this layer is a kervolution. */
  kernel: string | null;
}

export interface ModelDescription {
  layers: LayerRow[];
  totalParams: number;
  trainableParams: number;
  /** What the table cannot show, e.g. that an architecture has no convolutions for the kernel to apply to. */
  notes?: string[];
}

export interface DatasetStatus {
  name: string;
  present: boolean;
  /** Where it was found (cache folder, Debian's /usr/share/datasets, ...). */
  location: string | null;
  sizeBytes: number | null;
}

export interface SystemInfo {
  appVersion: string;
  dataDir: string;
  backends: { name: string; available: boolean; detail: string }[];
  selectedBackend: string;
  device: string;
  concurrency: number;
  /** The runs that share this machine's GPU (service/gpu-slots.ts). */
  gpu: GpuSlotsInfo;
}

/** How many runs train on the GPU at once, and what that number comes from. */
export interface GpuSlotsInfo {
  slots: number;
  /** 'auto': found from GPU memory and measured throughput; 'fixed': the settings' number. */
  mode: 'auto' | 'fixed';
  /** Why this many, in words. */
  reason: string;
  /** The GPU's memory (nvidia-smi); null where unknown. */
  memoryTotalMb: number | null;
  /** The most GPU memory one run has held. */
  perRunMb: number | null;
  /** Summed images/s of the GPU runs, measured with each count of runs at once. */
  throughput: { runs: number; imagesPerSecond: number }[];
  /** GPU runs training now. */
  running: number;
}

export interface Settings {
  dataDir: string;
  /** The backend of runs whose config says 'auto'; 'auto' = the best available. */
  backend: BackendChoice;
  concurrency: number;
  /** Runs that train on the GPU at once (webgpu, tensorflow-gpu), besides `concurrency` CPU runs; 'auto': from GPU memory and measured throughput. */
  gpuSlots: number | 'auto';
  /** Dawn's adapter for the webgpu backend, by name ('' = Dawn's choice: the high-performance GPU). */
  webgpuAdapter: string;
  /** Dawn's native API for the webgpu backend, one of DAWN_BACKENDS ('' = the platform's default). */
  webgpuBackend: string;
  /** Dawn's speed toggles (no validation, robustness or workgroup zeroing): faster, unchecked. Off by default. */
  webgpuSpeedToggles: boolean;
  /** Compute dispatches per GPU queue submit. */
  webgpuSubmitBatch: number;
  /** The cluster's Redis (password masked); null: every run trains on this machine. Applies when the workbench next starts. */
  redisUrl?: string | null;
}

/** What a cluster worker's heartbeat says about its machine. */
export interface ClusterWorkerInfo {
  name: string;
  /** The backend its runs use ('auto' until its first run reports the one it got). */
  backend: string;
  device: string;
  cores: number;
  memoryMb: number;
  freeMemoryMb: number;
  /** 1-minute load average. */
  load: number;
  concurrency: number;
  /** Runs it trains now. */
  runs: number[];
  pid: number;
  startedAt: string;
  heartbeatAt: string;
}

export interface ClusterStatus {
  /** The Redis URL (password masked); null when no cluster is configured. */
  redisUrl: string | null;
  connected: boolean;
  /** Why the workbench is not (or no longer) connected, in words. */
  error: string | null;
  workers: ClusterWorkerInfo[];
}

export interface Preset {
  id: string;
  label: string;
  config: RunConfigInput;
}

export interface SweepRequest {
  base: RunConfigInput;
  /** Dotted config path → values to try; the grid is their cartesian product. */
  grid: Record<string, unknown[]>;
  /** When set, draw this many random points of the grid instead of all of it. */
  randomDraws?: number;
  /** Every point runs with seeds 0..repeats-1 (offset by base.seed). */
  repeats?: number;
  name?: string;
  /**
   * Stop bad runs early with ASHA (shared/asha.ts): rungs at minEpochs, ·eta, ·eta², …
   * below the runs' epochs; at each only the top 1/eta of the runs so far continue.
   */
  asha?: AshaOptionsInput;
}

/** Every request: argument and result types. */
export interface ApiRequests {
  'system:info': { arg: void; result: SystemInfo };
  'settings:get': { arg: void; result: Settings };
  'settings:set': { arg: Partial<Settings>; result: Settings };
  'config:defaults': { arg: void; result: { config: RunConfig; presets: Preset[] } };
  'config:validate': { arg: unknown; result: { ok: boolean; issues: { path: string; message: string }[] } };
  'models:describe': { arg: RunConfigInput; result: ModelDescription };
  'datasets:list': { arg: void; result: DatasetStatus[] };
  'datasets:download': { arg: { name: string }; result: DatasetStatus };
  'datasets:import': { arg: { name: string; path: string }; result: DatasetStatus };
  'runs:list': { arg: RunListQuery; result: { rows: RunRow[]; total: number } };
  'runs:get': { arg: { id: number }; result: RunDetail };
  'runs:metrics': { arg: { id: number; sinceStep?: number }; result: RunMetrics };
  'runs:samples': { arg: { id: number }; result: SampleImage[] };
  /** Diagnostic series by name; `prefix` keeps one family ('kernel/', 'system/'), `sinceStep` only later samples. */
  'runs:scalars': { arg: { id: number; prefix?: string; sinceStep?: number }; result: Record<string, ScalarSeries> };
  /** Queues a run (validated config). `queue: false` puts it at the front of the queue instead of the back. */
  'runs:start': { arg: { config: RunConfigInput; queue?: boolean }; result: { id: number } };
  'runs:cancel': { arg: { id: number }; result: void };
  'runs:resume': { arg: { id: number }; result: void };
  'runs:rerun': { arg: { id: number }; result: { id: number } };
  'runs:delete': { arg: { ids: number[] }; result: void };
  'runs:update': { arg: { id: number; name?: string; tags?: string[]; notes?: string }; result: RunDetail };
  'runs:log': { arg: { id: number }; result: { level: string; message: string; at: string }[] };
  'queue:get': { arg: void; result: { ids: number[]; concurrency: number } };
  'queue:reorder': { arg: { ids: number[] }; result: void };
  'sweeps:start': { arg: SweepRequest; result: { groupId: number; runIds: number[] } };
  'compare:get': { arg: { ids: number[] }; result: Comparison };
  'export:table': { arg: ExportRequest; result: { text: string; mime: string; extension: string } };
  'export:columns': { arg: void; result: { path: string; label: string }[] };
  /**
   * Full-resolution metric series of the chosen runs: long-format CSV (run_id, run_name, step, epoch,
   * wall_time_ms, metric, value), or JSON (each run's config, step columns, epochs and diagnostic series).
   */
  'export:series': { arg: { runIds?: number[]; groupIds?: number[]; format?: 'csv' | 'json' }; result: { text: string; mime: string; extension: string } };
  /** Writes the runs (config, metadata, metrics, samples, logs, final checkpoint) to one .kervrun file at `path`. */
  'runs:exportBundle': { arg: { ids: number[]; path: string }; result: { path: string; bytes: number } };
  /**
   * The run's trained model in the TensorFlow.js layers format: `path` (a .json file) and its
   * <name>.weights.bin beside it. 'last': the newest checkpoint's; 'best': the best epoch's (early stopping).
   */
  'runs:exportModel': { arg: { id: number; which?: 'last' | 'best'; path: string }; result: ModelExport };
  /** Imports every run of a .kervrun file as new runs; returns their ids. */
  'runs:importBundle': { arg: { path: string }; result: { ids: number[] } };
  /** Sweep groups, newest first, with how many runs each holds. */
  'groups:list': { arg: void; result: RunGroup[] };
  /** An ASHA sweep's rung values and verdicts, by epoch then time of decision (empty for other groups). */
  'groups:rungs': { arg: { id: number }; result: RungRecord[] };
  /** The cluster (Redis, workers and their heartbeats), when one is configured. */
  'cluster:status': { arg: void; result: ClusterStatus };
  /** Starts the learning-rate finder on a run config (one at a time); its points come as 'lrFind:progress'. */
  'lrFind:start': { arg: { config: RunConfigInput; finder?: LrFindOptionsInput }; result: { id: number } };
  'lrFind:get': { arg: { id: number }; result: LrFindRecord };
  /** The finder's history, newest first. */
  'lrFind:list': { arg: void; result: LrFindSummary[] };
  'lrFind:cancel': { arg: { id: number }; result: void };
}

export interface ModelExport {
  modelFile: string;
  weightsFile: string;
  which: 'last' | 'best';
  /** The epoch whose weights these are. */
  epoch: number;
}

export interface RunGroup {
  id: number;
  name: string;
  kind: string;
  createdAt: string;
  runCount: number;
  /** The sweep's ASHA options; null when it trains every run to the end. */
  asha: AshaOptions | null;
}

/** Every pushed event and its payload. */
export interface ApiEvents {
  'run:status': { id: number; status: RunStatus; error: string | null };
  'run:progress': { id: number; steps: StepMetrics[]; epoch: EpochMetrics | null };
  'run:started': { id: number; totalSteps: number; environment: RunEnvironment };
  /** Diagnostic samples as they are recorded (kernel parameters, norms, activations, system). */
  'run:scalars': { id: number; samples: ScalarSample[] };
  'dataset:progress': { name: string; receivedBytes: number; totalBytes: number | null; phase: string };
  /** One step of a learning-rate finder, as it is taken. */
  'lrFind:progress': { id: number; point: LrFindPoint };
  'lrFind:status': { id: number; status: LrFindStatus; error: string | null };
}

export type ApiChannel = keyof ApiRequests;
export type ApiArg<C extends ApiChannel> = ApiRequests[C]['arg'];
export type ApiResult<C extends ApiChannel> = ApiRequests[C]['result'];
export type ApiEventName = keyof ApiEvents;

/**
 * The one error envelope: handlers never throw across a process or network
 * boundary. `code` says what kind of failure it is (shared/errors.ts); absent,
 * the workbench itself failed (a full disk, a crashed worker).
 */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: EnvelopeError };
export interface EnvelopeError {
  message: string;
  code?: ErrorCode;
  issues?: { path: string; message: string }[];
}

/** What both the preload bridge and the WebSocket client expose to the renderer. */
export interface WorkbenchApi {
  invoke<C extends ApiChannel>(channel: C, arg: ApiArg<C>): Promise<ApiResult<C>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  /**
   * Adapters only (never a client): lets requests use one path outside the data
   * folder because the user chose it themselves — in a native file dialog, on the
   * command line, or as the server's own temporary file. Paths a request names
   * are otherwise confined to the data folder's bundles/ folder. Returns the revoke.
   */
  grantPath?(path: string): () => void;
}

/**
 * Every request channel, at run time: adapters (the WebSocket server, Electron's
 * IPC handler) refuse anything else before it reaches the service. A Record keyed
 * on ApiChannel so adding a request to ApiRequests without listing it here fails
 * the typecheck.
 */
const CHANNEL_TABLE: Record<ApiChannel, true> = {
  'system:info': true,
  'settings:get': true,
  'settings:set': true,
  'config:defaults': true,
  'config:validate': true,
  'models:describe': true,
  'datasets:list': true,
  'datasets:download': true,
  'datasets:import': true,
  'runs:list': true,
  'runs:get': true,
  'runs:metrics': true,
  'runs:samples': true,
  'runs:scalars': true,
  'runs:start': true,
  'runs:cancel': true,
  'runs:resume': true,
  'runs:rerun': true,
  'runs:delete': true,
  'runs:update': true,
  'runs:log': true,
  'queue:get': true,
  'queue:reorder': true,
  'sweeps:start': true,
  'compare:get': true,
  'export:table': true,
  'export:columns': true,
  'export:series': true,
  'runs:exportBundle': true,
  'runs:exportModel': true,
  'runs:importBundle': true,
  'groups:list': true,
  'groups:rungs': true,
  'cluster:status': true,
  'lrFind:start': true,
  'lrFind:get': true,
  'lrFind:list': true,
  'lrFind:cancel': true,
};
export const API_CHANNELS = Object.keys(CHANNEL_TABLE) as ApiChannel[];

const EVENT_TABLE: Record<ApiEventName, true> = {
  'run:status': true,
  'run:progress': true,
  'run:started': true,
  'run:scalars': true,
  'dataset:progress': true,
  'lrFind:progress': true,
  'lrFind:status': true,
};
export const API_EVENT_NAMES = Object.keys(EVENT_TABLE) as ApiEventName[];

export function isApiChannel(value: unknown): value is ApiChannel {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(CHANNEL_TABLE, value);
}

/** What the WebSocket carries from client to server. */
export interface WireRequest {
  id: number;
  channel: ApiChannel;
  arg: unknown;
}

/** What the WebSocket carries from server to client: a response or a pushed event. */
export type WireMessage =
  | { kind: 'response'; id: number; envelope: Envelope<unknown> }
  | { kind: 'event'; event: ApiEventName; payload: unknown };

/**
 * Calls only the desktop app can make (native dialogs, which need the main
 * process). The browser UI uses downloads and file inputs instead; the preload
 * exposes these as window.api.desktop.
 */
export interface DesktopBridge {
  /** Shows a native save dialog and writes `text` to the chosen file; null when cancelled. */
  saveText(arg: { defaultName: string; text: string; filters?: { name: string; extensions: string[] }[] }): Promise<{ path: string | null }>;
  /** Shows a native save dialog and returns the chosen path without writing it (the service writes the file); null when cancelled. */
  choosePath(arg: { defaultName: string; filters?: { name: string; extensions: string[] }[] }): Promise<{ path: string | null }>;
  /** Shows a native open dialog; the chosen file or folder, or null when cancelled. */
  openPath(arg: { title?: string; directory?: boolean; filters?: { name: string; extensions: string[] }[] }): Promise<{ path: string | null }>;
  /** Commands chosen in the native application menu (File > New Run, File > Export). */
  onMenu(listener: (command: DesktopMenuCommand) => void): () => void;
}

export type DesktopMenuCommand = 'new-run' | 'export';

/**
 * The desktop calls as the preload carries them: each answers an envelope (a
 * refused argument or a failed write is an error value, never a throw across
 * IPC); the renderer's api.ts unwraps them into DesktopBridge.
 */
export type DesktopEnvelopes = {
  [K in Exclude<keyof DesktopBridge, 'onMenu'>]: (arg: Parameters<DesktopBridge[K]>[0]) => Promise<Envelope<Awaited<ReturnType<DesktopBridge[K]>>>>;
} & Pick<DesktopBridge, 'onMenu'>;

/**
 * What Electron's preload exposes as window.api. Requests resolve to the raw
 * envelope (an Error's extra fields, like validation issues, do not survive the
 * context bridge); the renderer's api.ts unwraps it like the WebSocket client.
 */
export interface PreloadBridge {
  request<C extends ApiChannel>(channel: C, arg: ApiArg<C>): Promise<Envelope<ApiResult<C>>>;
  on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  desktop: DesktopEnvelopes;
}
