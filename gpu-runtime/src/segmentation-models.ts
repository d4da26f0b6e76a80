import { configuredModel, configuredModels, MODEL_CONFIG_HINT, modelPresets, type SegmentationPreset } from '@studioflow/nodes';
import { onnxLoader } from './backends/onnx';
import type { ModelBackend, ModelSource } from './model-pool';

/**
 * The segmentation models of the shared model configuration, as the pool loads them: the preset
 * travels with the session, so the segment node reads its pre/post-processing from the handle.
 */
export function segmentationModelSource(modelId: string): ModelSource<SegmentationPreset> | null {
  // Another backend's id (a Cog model, a CLIP encoder) is not ours: null lets the pool ask the next.
  if (!modelPresets().has(modelId)) return null;
  const model = configuredModel(modelId);
  return model ? { id: model.preset.id, path: model.path, spec: model.preset } : null;
}

/** Ids of every configured segmentation model. */
export function configuredSegmentationModelIds(): string[] {
  return configuredModels().map((m) => m.preset.id);
}

/** ONNX segmentation (matting) models on the slot's device. */
export function segmentationBackend(): ModelBackend {
  return {
    name: 'segmentation',
    resolve: segmentationModelSource,
    load: onnxLoader(),
    configuredIds: configuredSegmentationModelIds,
    configHint: MODEL_CONFIG_HINT,
  };
}
