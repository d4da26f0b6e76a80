import { statSync } from 'node:fs';
import { CLIP_CONFIG_HINT, clipModels, configuredClipModel, loadClipTokenizer, type ClipModelConfig, type ClipSession } from '@studioflow/nodes';
import { PermanentNodeError } from '@studioflow/runtime/contract';
import type { LoadedModel, ModelBackend, ModelSource } from '../model-pool';
import { onnxLoader } from './onnx';

const CLIP_FILES = ['imageEncoder', 'textEncoder', 'tokenizer'] as const;

/** A configured CLIP model as the pool sees it: its memory is its three files together. */
export function clipModelSource(modelId: string): ModelSource<ClipModelConfig> | null {
  const model = configuredClipModel(modelId);
  if (!model) return null;
  // A missing file counts 0 here and fails the load with its name.
  const bytes = CLIP_FILES.reduce((sum, file) => sum + (statSync(model[file], { throwIfNoEntry: false })?.size ?? 0), 0);
  return { id: model.id, bytes, spec: model };
}

/**
 * CLIP models (STUDIOFLOW_CLIP_MODELS): the image and text encoders as two ONNX sessions on the slot's
 * device (the same CUDA → CPU fallback as every ONNX model) and the tokenizer, held as one model.
 */
export function clipBackend(): ModelBackend {
  const loadOnnx = onnxLoader();
  return {
    name: 'clip',
    resolve: clipModelSource,
    configuredIds: () => [...clipModels().keys()],
    configHint: CLIP_CONFIG_HINT,
    async load(source, device, log): Promise<LoadedModel<ClipSession>> {
      const model = source.spec as ClipModelConfig;
      for (const file of CLIP_FILES) {
        const info = statSync(model[file], { throwIfNoEntry: false });
        if (!info?.isFile()) throw new PermanentNodeError(`CLIP model "${model.id}": ${file} file not found: ${model[file]}`);
      }
      const tokenizer = await loadClipTokenizer(model.tokenizer, model.contextLength);
      const image = await loadOnnx({ id: `${model.id} image encoder`, path: model.imageEncoder, spec: null }, device, log);
      const text = await loadOnnx({ id: `${model.id} text encoder`, path: model.textEncoder, spec: null }, device, log).catch(async (err) => {
        await image.release();
        throw err;
      });
      return {
        session: { image: image.session, text: text.session, tokenizer } as ClipSession,
        provider: image.provider === 'cuda' && text.provider === 'cuda' ? 'cuda' : 'cpu',
        release: async () => {
          await Promise.allSettled([image.release(), text.release()]);
        },
      };
    },
  };
}
