/** 0 at the first and last pixel, rising smoothly to 1 over 4% of the length: keeps frame borders untouched. */
export function edgeWindow(n: number): Float32Array {
  const out = new Float32Array(n);
  const ramp = Math.max(1, 0.04 * n);
  for (let i = 0; i < n; i++) {
    const t = Math.min(1, Math.min(i, n - 1 - i) / ramp);
    out[i] = t * t * (3 - 2 * t);
  }
  return out;
}
