/** The GPU runtime's parts, for hosts that run models in process (the GPU worker host, the CLI). */
export { DEFAULT_BUDGET_MB, GpuRuntime, type GpuRuntimeOptions } from './gpu-runtime';
export { ModelPool, type ColdStart, type LoadedModel, type ModelBackend, type ModelLoader, type ModelPoolOptions, type ModelPoolStatus, type ModelSource } from './model-pool';
export { DeviceSlots, slotDevices } from './slots';
export { onnxLoader } from './backends/onnx';
export { clipBackend, clipModelSource } from './backends/clip';
export { cogBackend } from './backends/cog';
export { configuredModelIds, defaultModelBackends } from './backends';
export { configuredSegmentationModelIds, segmentationBackend, segmentationModelSource } from './segmentation-models';
