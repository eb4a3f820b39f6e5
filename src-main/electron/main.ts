// Electron main process: one secure window over the workbench service. The
// service is the same plain-Node Workbench `kerv serve` and the CLI use; this
// file only adapts it to IPC, native dialogs, notifications and the menu.
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, shell, type IpcMainInvokeEvent } from 'electron';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { API_EVENT_NAMES } from '../shared/api';
import { invokeToEnvelope, toEnvelope } from '../shared/envelope';
import { MIN_WINDOW_SIZE } from '../shared/window';
import { Workbench } from '../service/workbench';
import { resolveDataDir } from '../service/paths';
import { choosePathArg, openPathArg, saveTextArg } from './dialog-requests';
import { buildMenu } from './menu';
import { utilityProcessLauncher } from './utility-launcher';
import { loadWindowState, trackWindowState } from './window-state';

const here = dirname(fileURLToPath(import.meta.url));
const rendererIndex = join(here, '../renderer/index.html');
const preloadScript = join(here, '../preload/index.cjs');

let mainWindow: BrowserWindow | null = null;
let workbench: Workbench | null = null;

/**
 * better-sqlite3 is a native addon built for one ABI. The packaged app gets it
 * rebuilt for Electron by electron-builder; a source checkout keeps Node's build
 * in node_modules (for the CLI and tests) and an Electron build in
 * out/native/electron/ (made by scripts/start.mjs with @electron/rebuild).
 */
function sqliteBinding(): string | undefined {
  if (app.isPackaged) return undefined;
  const file = join(app.getAppPath(), 'out/native/electron/better_sqlite3.node');
  return existsSync(file) ? file : undefined;
}

function isAppUrl(url: string): boolean {
  const devServer = process.env.ELECTRON_RENDERER_URL;
  if (devServer && url.startsWith(devServer)) return true;
  return url.split('#')[0] === pathToFileURL(rendererIndex).href;
}

/** Only our own page may call the service (not an iframe or a page navigated elsewhere). */
function fromAppPage(event: IpcMainInvokeEvent): boolean {
  return !!event.senderFrame && isAppUrl(event.senderFrame.url) && event.sender === mainWindow?.webContents;
}

function createWindow(): BrowserWindow {
  const state = loadWindowState(app.getPath('userData'));
  const window = new BrowserWindow({
    ...(state.positioned ? state.bounds : { width: state.bounds.width, height: state.bounds.height }),
    minWidth: MIN_WINDOW_SIZE.width,
    minHeight: MIN_WINDOW_SIZE.height,
    show: false,
    title: 'Kervolution Workbench',
    backgroundColor: '#f3f4f6',
    icon: join(app.getAppPath(), 'resources/icon.png'),
    webPreferences: {
      preload: preloadScript,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  if (state.maximized) window.maximize();
  trackWindowState(window, app.getPath('userData'));
  window.once('ready-to-show', () => window.show());

  // New windows are never opened; web links go to the system browser.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  window.webContents.on('will-attach-webview', (event) => event.preventDefault());

  if (process.env.ELECTRON_RENDERER_URL && !app.isPackaged) void window.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void window.loadFile(rendererIndex);
  window.on('closed', () => {
    if (mainWindow === window) mainWindow = null;
  });
  return window;
}

/** The page's requests: one IPC channel carrying {channel, arg}, answered with the contract's envelope. */
function registerRequests(service: Workbench): void {
  ipcMain.handle('kerv:request', async (event, frame: unknown) => {
    if (!fromAppPage(event)) return { ok: false, error: { message: 'Refused: not the workbench page' } };
    // The same strictness as the WebSocket: {channel, arg} and nothing else; the service checks arg.
    if (!frame || typeof frame !== 'object' || Array.isArray(frame) || Object.keys(frame).some((k) => k !== 'channel' && k !== 'arg')) {
      return { ok: false, error: { message: 'A request is {channel, arg} and nothing else', code: 'invalid_input' } };
    }
    const { channel, arg } = frame as { channel?: unknown; arg?: unknown };
    return invokeToEnvelope(service, channel, arg);
  });
}

/**
 * The native dialogs. They answer envelopes like the requests: a bad argument or a
 * failed write is an error the page shows, never a throw across IPC
 * (DesktopEnvelopes in shared/api.ts). A path the user picks is granted to the service.
 */
function registerDialogs(service: Workbench): void {
  const handleDialog = <T>(channel: string, fn: (window: BrowserWindow, raw: unknown) => Promise<T>) =>
    ipcMain.handle(channel, async (event, raw: unknown) => {
      if (!fromAppPage(event)) return { ok: false, error: { message: 'Refused: not the workbench page' } };
      return toEnvelope(async () => (mainWindow ? fn(mainWindow, raw) : { path: null }));
    });

  handleDialog('dialog:save', async (window, raw) => {
    const arg = saveTextArg(raw);
    const result = await dialog.showSaveDialog(window, { defaultPath: arg.defaultName, filters: arg.filters });
    if (result.canceled || !result.filePath) return { path: null };
    try {
      writeFileSync(result.filePath, arg.text, 'utf8');
    } catch (error) {
      throw new Error(`Cannot write ${result.filePath}: ${(error as Error).message}`);
    }
    return { path: result.filePath };
  });

  // Where the service should write a file it produces itself (a run bundle): the path only.
  handleDialog('dialog:choose-save-path', async (window, raw) => {
    const arg = choosePathArg(raw);
    const result = await dialog.showSaveDialog(window, { defaultPath: arg.defaultName, filters: arg.filters });
    if (result.canceled || !result.filePath) return { path: null };
    // The user chose it in the native dialog: requests may write there.
    service.grantPath(result.filePath);
    return { path: result.filePath };
  });

  handleDialog('dialog:open', async (window, raw) => {
    const arg = openPathArg(raw);
    const result = await dialog.showOpenDialog(window, { title: arg.title, properties: [arg.directory ? 'openDirectory' : 'openFile'], filters: arg.filters });
    const chosen = result.canceled ? null : (result.filePaths[0] ?? null);
    if (chosen) service.grantPath(chosen);
    return { path: chosen };
  });
}

/** Every service event to the page, and a desktop notification when a run ends (useful when the window is in the background). */
function forwardEvents(service: Workbench): void {
  for (const event of API_EVENT_NAMES) {
    service.on(event, (payload) => mainWindow?.webContents.send('kerv:event', { event, payload }));
  }

  service.on('run:status', ({ id, status, error }) => {
    if (!Notification.isSupported() || (status !== 'completed' && status !== 'failed')) return;
    const note = new Notification({
      title: status === 'completed' ? `Run #${id} completed` : `Run #${id} failed`,
      body: status === 'failed' ? (error ?? 'See the run for details.') : 'Open the workbench to see its results.',
      silent: status === 'completed',
    });
    note.on('click', () => {
      mainWindow?.show();
      mainWindow?.webContents.executeJavaScript(`location.hash = '#/runs/${Number(id)}'`).catch(() => {});
    });
    note.show();
  });
}

async function start(): Promise<void> {
  await app.whenReady();
  const dataDir = resolveDataDir(process.env.KERV_DATA_DIR);
  const workerScript = join(app.getAppPath(), 'out/node/train-worker.js');
  try {
    workbench = await Workbench.open({
      dataDir,
      appVersion: app.getVersion(),
      launcher: utilityProcessLauncher(workerScript),
      nativeBinding: sqliteBinding(),
    });
  } catch (error) {
    dialog.showErrorBox('Kervolution Workbench cannot start', (error as Error).message);
    app.exit(1);
    return;
  }
  registerRequests(workbench);
  registerDialogs(workbench);
  forwardEvents(workbench);
  Menu.setApplicationMenu(buildMenu(() => mainWindow, dataDir));
  mainWindow = createWindow();
  app.on('activate', () => {
    if (!mainWindow) mainWindow = createWindow();
  });
}

// One instance per user: two would share the runs database and the queue.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Stop training processes and close the database before exiting.
  let closing = false;
  app.on('before-quit', (event) => {
    if (!workbench || closing) return;
    event.preventDefault();
    closing = true;
    workbench.close().finally(() => {
      workbench = null;
      app.quit();
    });
  });
  start().catch((error: unknown) => {
    dialog.showErrorBox('Kervolution Workbench', (error as Error).stack ?? String(error));
    app.exit(1);
  });
}
