/** GPU slots from CUDA_VISIBLE_DEVICES (e.g. "0,1"); none visible means one CPU slot. */
export function gpuSlots(env: NodeJS.ProcessEnv = process.env): Array<{ device: 'cpu' | `cuda:${number}` }> {
  const visible = env.CUDA_VISIBLE_DEVICES?.split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)) ?? [];
  if (visible.length === 0) return [{ device: 'cpu' }];
  return visible.map((d) => ({ device: `cuda:${Number(d)}` as const }));
}
