import { onnx } from 'onnx-proto';

/**
 * A stand-in segmentation model built in code (no weights are downloaded anywhere):
 * out = k * mean_over_channels(input) + b, then an optional Sigmoid. With k < 0 a dark product on a
 * light backdrop gets a high alpha, so the whole pre/post path can be checked against ground truth.
 */
export interface TinyModelOptions {
  size: number;
  k: number;
  b: number;
  sigmoid: boolean;
  inputName?: string;
  outputName?: string;
}

export function tinySegmentationModel(o: TinyModelOptions): Buffer {
  const inputName = o.inputName ?? 'pixel_values';
  const outputName = o.outputName ?? 'alphas';
  const scalar = (name: string, v: number) => ({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [v] });
  const tensorInfo = (name: string, dims: number[]) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const nodes: onnx.INodeProto[] = [
    // opset 18: ReduceMean takes its axes as an int64 input, not an attribute.
    { opType: 'ReduceMean', input: [inputName, 'axes'], output: ['m'], attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
    { opType: 'Mul', input: ['m', 'k'], output: ['mk'] },
    { opType: 'Add', input: ['mk', 'b'], output: [o.sigmoid ? 'z' : outputName] },
  ];
  if (o.sigmoid) nodes.push({ opType: 'Sigmoid', input: ['z'], output: [outputName] });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'studioflow-test',
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: 'tiny-segmenter',
      node: nodes,
      initializer: [{ name: 'axes', dataType: onnx.TensorProto.DataType.INT64, dims: [1], int64Data: [1] }, scalar('k', o.k), scalar('b', o.b)],
      input: [tensorInfo(inputName, [1, 3, o.size, o.size])],
      output: [tensorInfo(outputName, [1, 1, o.size, o.size])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/**
 * k and b so that out = k * mean_c((v/255 - mean_c) / std_c) + b crosses 0 at grey level `edge`
 * and changes by `steepness` per grey level (negative: darker is more product).
 */
export function thresholdAt(edge: number, steepness: number, mean: number[], std: number[]): { k: number; b: number } {
  // For a grey pixel v the model's channel mean is v * A - B.
  const A = mean.reduce((s, _, c) => s + 1 / (255 * std[c]), 0) / 3;
  const B = mean.reduce((s, m, c) => s + m / std[c], 0) / 3;
  const k = -steepness / A;
  return { k, b: -k * (edge * A - B) };
}

/**
 * A stand-in upscaler: ONNX Resize (linear) by `scale` on a [1,3,H,W] input of any size, so the
 * upscale node's whole path (registry preset, GPU pool, tensors, alpha) runs without weights.
 */
export function tinyUpscalerModel(o: { scale: number; inputName?: string; outputName?: string }): Buffer {
  const inputName = o.inputName ?? 'input';
  const outputName = o.outputName ?? 'output';
  const tensorInfo = (name: string, dims: Array<number | string>) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'studioflow-test',
    opsetImport: [{ domain: '', version: 18 }],
    graph: {
      name: 'tiny-upscaler',
      node: [{ opType: 'Resize', input: [inputName, '', 'scales'], output: [outputName], attribute: [{ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: Buffer.from('linear') }] }],
      initializer: [{ name: 'scales', dataType: onnx.TensorProto.DataType.FLOAT, dims: [4], floatData: [1, 1, o.scale, o.scale] }],
      input: [tensorInfo(inputName, [1, 3, 'H', 'W'])],
      output: [tensorInfo(outputName, [1, 3, 'H2', 'W2'])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
