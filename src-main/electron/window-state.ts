// Remembers the window's size, position and maximized state in
// <userData>/window-state.json. A saved position that no longer lies on any
// display (a monitor unplugged) is dropped, so the window never opens off-screen.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { screen, type BrowserWindow, type Rectangle } from 'electron';

export interface WindowState {
  bounds: Rectangle;
  maximized: boolean;
}

const DEFAULT: WindowState = { bounds: { x: 0, y: 0, width: 1360, height: 880 }, maximized: false };

function isValidBounds(value: unknown): value is Rectangle {
  const b = value as Rectangle;
  return !!b && [b.x, b.y, b.width, b.height].every((n) => Number.isFinite(n)) && b.width >= 400 && b.height >= 300;
}

function visibleOnSomeDisplay(bounds: Rectangle): boolean {
  return screen.getAllDisplays().some(({ workArea: a }) => bounds.x < a.x + a.width && bounds.x + bounds.width > a.x && bounds.y < a.y + a.height && bounds.y + bounds.height > a.y);
}

export function loadWindowState(userData: string): WindowState & { positioned: boolean } {
  try {
    const saved = JSON.parse(readFileSync(join(userData, 'window-state.json'), 'utf8')) as Partial<WindowState>;
    if (isValidBounds(saved.bounds)) {
      const positioned = visibleOnSomeDisplay(saved.bounds);
      return { bounds: saved.bounds, maximized: saved.maximized === true, positioned };
    }
  } catch {
    // First launch or an unreadable file: defaults.
  }
  return { ...DEFAULT, positioned: false };
}

/** Saves on close (the normal bounds, so un-maximizing restores the old size). */
export function trackWindowState(window: BrowserWindow, userData: string): void {
  window.on('close', () => {
    const state: WindowState = { bounds: window.getNormalBounds(), maximized: window.isMaximized() };
    try {
      writeFileSync(join(userData, 'window-state.json'), JSON.stringify(state));
    } catch {
      // Not being able to remember the size is not worth an error dialog.
    }
  });
}
