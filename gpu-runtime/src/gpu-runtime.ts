import type { Device, NodeLogger } from '@studioflow/runtime/contract';
import { queueFor } from '@studioflow/runtime/scheduler';
import { defaultModelBackends } from './backends';
import { ModelPool, type ModelBackend } from './model-pool';
import { DeviceSlots } from './slots';

export interface GpuRuntimeOptions {
  devices: readonly Device[];
  /** Per slot. */
  budgetBytes: number;
  /** The models this host serves: preloaded on every slot, and their per-model queues taken. */
  models: readonly string[];
  log: NodeLogger;
  /** The kinds of model served; every backend by default. */
  backends?: readonly ModelBackend[];
}

/** Default per-slot model budget when STUDIOFLOW_GPU_MODEL_BUDGET_MB is not set. */
export const DEFAULT_BUDGET_MB = 8192;

/**
 * The GPU host's parts: device-bound slots, each with a warm model pool. `preload` runs before any
 * job is taken; `workerOptions` are what startWorkerProcess needs to serve the gpu queue and the
 * per-model queues on these slots.
 */
export class GpuRuntime {
  readonly slots: DeviceSlots;

  constructor(private readonly o: GpuRuntimeOptions) {
    const backends = o.backends ?? defaultModelBackends();
    this.slots = new DeviceSlots(o.devices.map((device) => new ModelPool({ device, budgetBytes: o.budgetBytes, backends, log: o.log })));
  }

  /** Loads the served models on every slot, so the first job finds them warm. */
  async preload(): Promise<void> {
    for (const pool of this.slots.pools) await pool.preload(this.o.models);
  }

  workerOptions() {
    return {
      resources: ['gpu'] as const,
      concurrency: { gpu: this.slots.size },
      slots: { gpu: this.slots },
      queues: { gpu: this.o.models.map((id) => queueFor('gpu', { id })) },
    };
  }

  async close(): Promise<void> {
    await this.slots.close();
  }
}
