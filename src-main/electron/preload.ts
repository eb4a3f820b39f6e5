// The sandboxed renderer's only door to the app: a hand-written window.api (no
// ipcRenderer exposed). Requests go over one IPC channel as {channel, arg} and
// come back as envelopes; events arrive on another. Bundled as CommonJS because
// sandboxed preloads cannot be ES modules.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { ApiEventName, DesktopMenuCommand, PreloadBridge } from '../shared/api';

const REQUEST = 'kerv:request';
const EVENT = 'kerv:event';
const MENU = 'kerv:menu';

const bridge: PreloadBridge = {
  request: (channel, arg) => ipcRenderer.invoke(REQUEST, { channel, arg }),
  on(event, listener) {
    const handler = (_e: IpcRendererEvent, message: { event: ApiEventName; payload: unknown }) => {
      if (message.event === event) listener(message.payload as never);
    };
    ipcRenderer.on(EVENT, handler);
    return () => ipcRenderer.removeListener(EVENT, handler);
  },
  desktop: {
    saveText: (arg) => ipcRenderer.invoke('dialog:save', arg),
    choosePath: (arg) => ipcRenderer.invoke('dialog:choose-save-path', arg),
    openPath: (arg) => ipcRenderer.invoke('dialog:open', arg),
    onMenu(listener) {
      const handler = (_e: IpcRendererEvent, command: DesktopMenuCommand) => listener(command);
      ipcRenderer.on(MENU, handler);
      return () => ipcRenderer.removeListener(MENU, handler);
    },
  },
};

contextBridge.exposeInMainWorld('api', bridge);
