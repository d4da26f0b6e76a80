import type { ModelBackend } from '../model-pool';
import { segmentationBackend } from '../segmentation-models';
import { clipBackend } from './clip';
import { cogBackend } from './cog';

/** Every kind of model the GPU host serves, asked in this order when a model id is resolved. */
export function defaultModelBackends(): ModelBackend[] {
  return [segmentationBackend(), clipBackend(), cogBackend()];
}

/** Ids of every configured model of every backend: what a host preloads by default. */
export function configuredModelIds(backends: readonly ModelBackend[] = defaultModelBackends()): string[] {
  return backends.flatMap((b) => b.configuredIds());
}
