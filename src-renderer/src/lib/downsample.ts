// Long runs write tens of thousands of step points; a chart a few hundred pixels
// wide cannot show more than ~2 per pixel. Largest-Triangle-Three-Buckets keeps
// the visual shape (peaks and dips) with a fixed number of points.

/** Indices of the points LTTB keeps (always the first and last). */
export function lttbIndices(xs: readonly number[], ys: readonly number[], threshold: number): number[] {
  const n = Math.min(xs.length, ys.length);
  if (threshold >= n || threshold < 3) return Array.from({ length: n }, (_, i) => i);
  const kept: number[] = [0];
  const bucketSize = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.floor((bucket + 1) * bucketSize) + 1;
    // Average of the next bucket: the third corner of the triangle.
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n);
    let avgX = 0;
    let avgY = 0;
    const nextCount = nextEnd - nextStart;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j];
      avgY += ys[j];
    }
    if (nextCount > 0) {
      avgX /= nextCount;
      avgY /= nextCount;
    } else {
      avgX = xs[n - 1];
      avgY = ys[n - 1];
    }
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((xs[a] - avgX) * (ys[j] - ys[a]) - (xs[a] - xs[j]) * (avgY - ys[a]));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    kept.push(best);
    a = best;
  }
  kept.push(n - 1);
  return kept;
}

/** [x, y] pairs downsampled to at most `threshold` points. */
export function downsample(xs: readonly number[], ys: readonly number[], threshold: number): [number, number][] {
  return lttbIndices(xs, ys, threshold).map((i) => [xs[i], ys[i]]);
}
