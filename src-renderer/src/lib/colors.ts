// Colours for runs on one chart. A run keeps its colour for as long as the view
// lists it (hiding other runs does not repaint it), and colours stay apart well
// past the 8 of a typical palette: 20 hand-picked ones (dark enough on white,
// light enough on the dark theme), then, one at a time, the colour of a hue ×
// lightness grid farthest from every colour already handed out.

const BASE = [
  '#2f6fb0', // blue
  '#e07b24', // orange
  '#2f9a52', // green
  '#c8324f', // crimson
  '#7a55c0', // purple
  '#8a6a3c', // brown
  '#1fa3b4', // teal
  '#d655a8', // pink
  '#9aa000', // olive
  '#5b6b80', // slate
  '#63a9f0', // sky
  '#f2b13a', // amber
  '#73c45a', // lime
  '#f07a8a', // salmon
  '#b39ce6', // lavender
  '#0f5f5a', // dark teal
  '#9c2a8e', // plum
  '#ff4040', // red
  '#2b3f9e', // indigo
  '#4fd1b8', // mint
] as const;

function hslToHex(h: number, s: number, l: number): string {
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number) => {
    const k = (n + h / 30) % 12;
    const c = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

const CANDIDATES = Array.from({ length: 36 * 3 }, (_, i) => hslToHex((i % 36) * 10, 0.7, [0.35, 0.5, 0.65][Math.floor(i / 36)]));
const sequence: string[] = [...BASE];

/** The colour of the index-th run of a view (the same index always gets the same colour). */
export function runColor(index: number): string {
  while (sequence.length <= index) {
    let best = CANDIDATES[0];
    let bestDistance = -1;
    for (const candidate of CANDIDATES) {
      const nearest = Math.min(...sequence.map((c) => colorDistance(c, candidate)));
      if (nearest > bestDistance) [best, bestDistance] = [candidate, nearest];
    }
    sequence.push(best);
  }
  return sequence[index];
}

/** Colours for run ids in the order the view lists them. */
export function runColors(ids: readonly number[]): Map<number, string> {
  return new Map(ids.map((id, i) => [id, runColor(i)]));
}

/** Euclidean distance of two #rrggbb colours in RGB (0..441): how tests check colours stay apart. */
export function colorDistance(a: string, b: string): number {
  const rgb = (c: string) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const [x, y] = [rgb(a), rgb(b)];
  return Math.hypot(x[0] - y[0], x[1] - y[1], x[2] - y[2]);
}
