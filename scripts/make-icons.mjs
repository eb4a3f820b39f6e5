// Draws the app icon from one geometry description into both the SVG source
// (resources/icon.svg, also the web favicon) and the PNG sizes electron-builder
// wants (resources/icon.png at 512 px for macOS/Windows conversion,
// resources/icons/NxN.png for Linux). The design: a 3×3 kernel whose cells are
// weighted like a Gaussian, the centre one lit — a kervolution's window.
// Run: node scripts/make-icons.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import console from 'node:console';

const SIZE = 512;
const background = { x: 16, y: 16, w: 480, h: 480, r: 96, color: [31, 39, 49] };
const cells = [];
const cell = 112;
const gap = 20;
const origin = (SIZE - (3 * cell + 2 * gap)) / 2;
for (let row = 0; row < 3; row++) {
  for (let col = 0; col < 3; col++) {
    const d2 = (row - 1) ** 2 + (col - 1) ** 2;
    const weight = Math.exp(-d2 / 1.6);
    const centre = d2 === 0;
    const color = centre ? [233, 143, 58] : [Math.round(47 + (1 - weight) * 20), Math.round(111 + weight * 70), Math.round(176 + weight * 60)];
    cells.push({ x: origin + col * (cell + gap), y: origin + row * (cell + gap), w: cell, h: cell, r: 18, color, opacity: centre ? 1 : 0.45 + 0.55 * weight });
  }
}
const shapes = [{ ...background, opacity: 1 }, ...cells];

function svg() {
  const hex = (c) => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;
  const rects = shapes
    .map((s) => `  <rect x="${s.x}" y="${s.y}" width="${s.w}" height="${s.h}" rx="${s.r}" fill="${hex(s.color)}"${s.opacity < 1 ? ` fill-opacity="${s.opacity.toFixed(3)}"` : ''}/>`)
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SIZE} ${SIZE}" width="${SIZE}" height="${SIZE}">\n${rects}\n</svg>\n`;
}

/** Coverage of a rounded rectangle at a point (inside = 1). */
function inside(s, x, y) {
  if (x < s.x || x > s.x + s.w || y < s.y || y > s.y + s.h) return false;
  const cx = Math.min(Math.max(x, s.x + s.r), s.x + s.w - s.r);
  const cy = Math.min(Math.max(y, s.y + s.r), s.y + s.h - s.r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= s.r ** 2;
}

function png(size) {
  const image = new PNG({ width: size, height: size });
  const scale = SIZE / size;
  const ss = 4; // 4×4 supersampling for smooth edges
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px + (sx + 0.5) / ss) * scale;
          const y = (py + (sy + 0.5) / ss) * scale;
          // Composite the shapes in order ("over").
          let cr = 0, cg = 0, cb = 0, ca = 0;
          for (const s of shapes) {
            if (!inside(s, x, y)) continue;
            const alpha = s.opacity;
            cr = s.color[0] * alpha + cr * (1 - alpha);
            cg = s.color[1] * alpha + cg * (1 - alpha);
            cb = s.color[2] * alpha + cb * (1 - alpha);
            ca = alpha + ca * (1 - alpha);
          }
          r += cr; g += cg; b += cb; a += ca;
        }
      }
      const n = ss * ss;
      const i = (py * size + px) * 4;
      const alpha = a / n;
      // Colours above are premultiplied; store straight alpha.
      image.data[i] = alpha ? Math.round(r / n / alpha) : 0;
      image.data[i + 1] = alpha ? Math.round(g / n / alpha) : 0;
      image.data[i + 2] = alpha ? Math.round(b / n / alpha) : 0;
      image.data[i + 3] = Math.round(alpha * 255);
    }
  }
  return PNG.sync.write(image);
}

mkdirSync('resources/icons', { recursive: true });
mkdirSync('resources/public', { recursive: true });
writeFileSync('resources/icon.svg', svg());
writeFileSync('resources/public/icon.svg', svg());
writeFileSync('resources/icon.png', png(512));
for (const size of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(`resources/icons/${size}x${size}.png`, png(size));
console.log('icons written to resources/');
