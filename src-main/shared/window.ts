// The smallest window the desktop app allows (Electron's minWidth/minHeight). Every
// screen is laid out to work at this size; the e2e tests check it there.
export const MIN_WINDOW_SIZE = { width: 900, height: 600 } as const;
