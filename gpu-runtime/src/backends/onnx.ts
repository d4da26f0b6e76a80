import type { InferenceSession } from 'onnxruntime-node';
import { PermanentNodeError, type Device, type NodeLogger } from '@studioflow/runtime/contract';
import type { LoadedModel, ModelLoader } from '../model-pool';

/**
 * A loader of ONNX Runtime sessions for one slot: the CUDA execution provider with the slot's device
 * id, or the CPU. A missing CUDA runtime slows jobs down instead of failing them; after the first
 * failure the slot loads straight on the CPU, so the fallback is logged once.
 */
export function onnxLoader(): ModelLoader {
  const cudaUnavailable = new Set<Device>();
  return (source, device, log) => {
    if (!source.path) throw new PermanentNodeError(`model "${source.id}" has no ONNX file configured`);
    return loadOnnxSession(source.path, device, log, cudaUnavailable);
  };
}

async function loadOnnxSession(path: string, device: Device, log: NodeLogger, cudaUnavailable: Set<Device>): Promise<LoadedModel<InferenceSession>> {
  // Loaded on first use: processes that never run a model skip the native library.
  const { InferenceSession } = await import('onnxruntime-node');
  const release = (session: InferenceSession) => () => session.release();
  if (device !== 'cpu' && !cudaUnavailable.has(device)) {
    const deviceId = Number(device.slice('cuda:'.length));
    try {
      const session = await InferenceSession.create(path, { executionProviders: [{ name: 'cuda', deviceId }] });
      return { session, provider: 'cuda', release: release(session) };
    } catch (err) {
      cudaUnavailable.add(device);
      log.warn('CUDA execution provider unavailable, running models on the CPU', { device, path, error: (err as Error).message });
    }
  }
  try {
    const session = await InferenceSession.create(path, { executionProviders: ['cpu'] });
    return { session, provider: 'cpu', release: release(session) };
  } catch (err) {
    throw new PermanentNodeError(`model file ${path} could not be loaded as an ONNX model: ${(err as Error).message}`);
  }
}
