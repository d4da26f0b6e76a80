/** The package's public entry: the catalog and the helpers other packages use. Test helpers: @studioflow/nodes/testing. */
export { createProductCatalog, productNodes } from './catalog';
// Single node definitions, for callers that run one node directly (the bench).
export { bestSelectNode } from './quality/best-select';
export { clipScoreNode } from './quality/clip-score';
export { colourCorrectNode } from './compose/colour-correct';
export { composePromptNode } from './generate/compose-prompt';
export { deliverNode } from './deliver/deliver';
export { humanReviewNode } from './control/human-review';
export { inputImageNode } from './input/input-image';
export { marketplaceComplianceNode } from './compliance/marketplace-compliance';
export { productFidelityNode } from './quality/product-fidelity';
export { retryGateNode } from './control/retry-gate';
export { seedreamNode } from './generate/seedream';
export { generateSceneNode } from './generate/generate-scene';
export { fluxLocalNode, cogFillBackend } from './generate/flux-local';
export { segmentNode } from './segment/segment';
export { classicalMatte, plainBackdropMatte, NoProductError, type ClassicalOptions, type Matte } from './segment/classical-segmenter';
export { onnxMatte, type SegmentationModel } from './segment/onnx-matte';
export { judgeMatte, type MatteTrust, type TrustInput } from './segment/matte-trust';
export { studioCompositeNode } from './compose/studio-composite';
export { upscaleNode } from './compose/upscale';
export {
  BUILT_IN_PRESETS, configuredModel, configuredModels, DEFAULT_MODEL_DIR, installedPresets, licencePolicy, MODEL_CONFIG_HINT, modelDir, modelFingerprint,
  modelLicence, modelPresets, PRESET_FILE_SUFFIX, resolveModel,
  type InstalledPreset, type InstallRecord, type LicencePolicy, type LicenceSource, type ModelLicence, type ResolvedModel, type SegmentationPreset,
} from './models/model-registry';
export { catalogEntry, catalogEntryByHash, installableModels, type CatalogEntry, type CatalogLicence, type NpmChunkedSource } from './models/model-catalog';
export { fileSha256, fileStamp, hashFileNow } from './models/file-hash';
export {
  CLIP_CONFIG_HINT, CLIP_MEAN, CLIP_STD, clipModelFingerprint, clipModels, configuredClipModel, resolveClipModel, type ClipModelConfig,
} from './models/clip-models';
export { loadClipTokenizer, type ClipTokenizer, type ClipTokens } from './models/clip-tokenizer';
export { clipPixelValues, clipSimilarityScore, type ClipModel, type ClipSession } from './quality/clip-encoders';
export { MARKETPLACE_RULES, MARKETPLACES, type Marketplace, type MarketplaceRules } from './compliance/marketplace-rules';
export { FRAME_SIZES, type FrameSize } from './compose/studio-composite';
// Where a generator put the product (meta.placement + the mask output): what product-fidelity reads.
export { placeCutout, placedAlpha, placementMeta, readPlacement, uniformPlacement, type ProductPlacement } from './image/placement';
export { inputImageSizeProblem, MIN_INPUT_SIDE } from './input/input-image';
export { DEFAULT_MAX_PIXELS, maxInputPixels } from './image/decode';
export { STUDIOFLOW_XMP_NS, DIGITAL_SOURCE_TYPES, type DigitalSourceType } from './image/xmp';
export { warmUpProductNodes } from './warm-up';
export { replicateConfig, REPLICATE_CONFIG_HINT, REPLICATE_WEBHOOK_PATH, type ReplicateConfig } from './providers/replicate';
export { RedisCreateBudget, shareReplicateCreates, type CreateBudget } from './providers/create-budget';
export { verifyReplicateWebhook, WebhookReplayGuard, type WebhookVerdict } from './providers/replicate-webhook';
export {
  CogClient, CogUnavailableError, CogWebhookReceiver, cogWebhookReceiverOptions, cogDetail, cogOutputFiles, lastProgress, newPredictionId, readCogFile,
  type CogClientOptions, type CogHealth, type CogHealthStatus, type CogPredictOptions, type CogPrediction, type CogPredictionStatus, type CogWebhookReceiverOptions,
} from './providers/cog';
export {
  missingProviderMessage, onSceneProviderChange, SCENE_PROVIDERS, sceneProviderReport, type SceneProviderReport,
} from './generate/generate-scene';
export { LOCAL_SCENE_MODEL, localSceneProvider, type LocalServerStatus } from './generate/local-scene-provider';
export {
  breakerSettings, SCENE_PROVIDER_IDS, sceneProviderBreakers, type BreakerSettings, type BreakerStateName, type BreakerStatus, type FailoverStep, type SceneProviderId,
} from './providers/scene-router';
export {
  canvasSize, fillMask, INPAINT_PARAMS, inpaintProduct, pasteBack, placeOnCanvas,
  type FillBackend, type GenerateOptions, type InpaintCanvas, type InpaintParams,
} from './generate/inpaint';
export { INPAINT_SCHEMAS, inpaintInput, type InpaintChoice, type InpaintSchema } from './generate/replicate-models';
export { promptOf } from './generate/prompt-text';
export { COG_CONFIG_HINT, cogModel, cogModelFingerprint, cogModels, cogServerFor, type CogModelConfig } from './models/cog-models';
export { predictionsChannel, publishPrediction, RedisPredictionNotices, type PredictionNotices } from './providers/prediction-notices';
