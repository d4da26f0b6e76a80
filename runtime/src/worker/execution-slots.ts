import { NO_MODEL_POOL, type Device, type ModelAccess } from '../contract';
import { Semaphore } from './semaphore';

/** What a job gets from the slot it runs on: the slot's device and its warm model pool. */
export interface SlotLease {
  device: Device;
  models: ModelAccess;
}

/**
 * A resource's places to run jobs, one job per slot at a time. CPU workers use `cpuSlots`; the GPU
 * runtime binds one slot to each GPU, each with its own model pool.
 */
export interface ExecutionSlots {
  /** Runs `work` on a free slot, preferring one that already holds `model` warm. */
  run<T>(model: string | undefined, work: (slot: SlotLease) => Promise<T>): Promise<T>;
}

/** `limit` jobs at once on the CPU, without a model pool. */
export function cpuSlots(limit: number): ExecutionSlots {
  const semaphore = new Semaphore(limit);
  const lease: SlotLease = { device: 'cpu', models: NO_MODEL_POOL };
  return { run: (_model, work) => semaphore.use(() => work(lease)) };
}
