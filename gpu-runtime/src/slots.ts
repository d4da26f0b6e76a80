import type { Device } from '@studioflow/runtime/contract';
import type { ExecutionSlots, SlotLease } from '@studioflow/runtime/worker';
import type { ModelPool, ModelPoolStatus } from './model-pool';

/** One device per visible GPU (CUDA_VISIBLE_DEVICES, e.g. "0,1"); none visible means one CPU slot. */
export function slotDevices(env: NodeJS.ProcessEnv = process.env): Device[] {
  const visible = env.CUDA_VISIBLE_DEVICES?.split(',').map((s) => s.trim()).filter((s) => /^\d+$/.test(s)) ?? [];
  if (visible.length === 0) return ['cpu'];
  // CUDA numbers the visible devices from 0 inside the process, whatever their physical ids.
  return visible.map((_, index) => `cuda:${index}` as const);
}

interface Slot {
  pool: ModelPool;
  busy: boolean;
}

/**
 * The GPU runtime's slots: one job per slot at a time, each slot bound to one device and owning its
 * model pool. A job for a model goes to a free slot that holds it warm, else to the free slot with
 * the most room in its budget.
 */
export class DeviceSlots implements ExecutionSlots {
  private readonly slots: Slot[];
  private readonly waiting: Array<() => void> = [];

  constructor(pools: readonly ModelPool[]) {
    if (pools.length === 0) throw new Error('the GPU runtime needs at least one slot');
    this.slots = pools.map((pool) => ({ pool, busy: false }));
  }

  get size(): number {
    return this.slots.length;
  }

  get pools(): ModelPool[] {
    return this.slots.map((s) => s.pool);
  }

  async run<T>(model: string | undefined, work: (slot: SlotLease) => Promise<T>): Promise<T> {
    const slot = await this.take(model);
    try {
      return await work({ device: slot.pool.device, models: slot.pool });
    } finally {
      slot.busy = false;
      this.waiting.shift()?.();
    }
  }

  status(): ModelPoolStatus[] {
    return this.slots.map((s) => s.pool.status());
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.pool.close()));
  }

  private async take(model: string | undefined): Promise<Slot> {
    for (;;) {
      const free = this.slots.filter((s) => !s.busy);
      if (free.length > 0) {
        const warm = model ? free.find((s) => s.pool.holds(model)) : undefined;
        const slot = warm ?? free.reduce((best, s) => (spare(s) > spare(best) ? s : best));
        slot.busy = true;
        return slot;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }
}

function spare(slot: Slot): number {
  const { budgetBytes, usedBytes } = slot.pool.status();
  return budgetBytes - usedBytes;
}
