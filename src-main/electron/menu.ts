// The application menu. Commands that belong to the UI (New Run, Export) are
// sent to the window, which routes them like its own keyboard shortcuts.
import { app, Menu, shell, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import type { DesktopMenuCommand } from '../shared/api';

export const MENU_CHANNEL = 'kerv:menu';

export function buildMenu(getWindow: () => BrowserWindow | null, dataDir: string): Menu {
  const send = (command: DesktopMenuCommand) => getWindow()?.webContents.send(MENU_CHANNEL, command);
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        { label: 'New Run', accelerator: 'CmdOrCtrl+N', click: () => send('new-run') },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', click: () => send('export') },
        { type: 'separator' },
        { label: 'Open Data Folder', click: () => void shell.openPath(dataDir) },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit', label: 'Quit', accelerator: 'CmdOrCtrl+Q' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        { role: 'reload' },
        { role: 'forceReload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    {
      label: '&Help',
      submenu: [
        { label: 'Kervolution paper (CVPR 2019)', click: () => void shell.openExternal('https://arxiv.org/abs/1904.03955') },
        { label: `About ${app.getName()} ${app.getVersion()}`, click: () => app.showAboutPanel() },
      ],
    },
  ];
  return Menu.buildFromTemplate(template);
}
