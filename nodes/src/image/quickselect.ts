/** The k-th smallest value (0-based) by quickselect; reorders `values`. */
export function kthSmallest(values: Float64Array | Float32Array, k: number): number {
  let lo = 0, hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1];
    let i = lo, j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return values[k];
  }
  return values[k];
}

/** Each value's quartile (0..3) among `values`, and the median that splits the lower two from the upper two. */
export function quartileClasses(values: Float32Array): { classes: Uint8Array; median: number } {
  const n = values.length;
  const scratch = Float32Array.from(values);
  const quartiles = [kthSmallest(scratch, n >> 2), kthSmallest(scratch, n >> 1), kthSmallest(scratch, (3 * n) >> 2)];
  const classes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    classes[i] = v > quartiles[2] ? 3 : v > quartiles[1] ? 2 : v > quartiles[0] ? 1 : 0;
  }
  return { classes, median: quartiles[1] };
}
