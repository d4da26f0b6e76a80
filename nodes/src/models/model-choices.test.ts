import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNode } from '@studioflow/runtime/contract';
import { checkParams } from '@studioflow/runtime/graph';
import { clipScoreNode } from '../quality/clip-score';
import { upscaleNode } from '../compose/upscale';
import { fluxLocalNode } from '../generate/flux-local';

describe('model params offer their usual models as choices, each with its licence', () => {
  const cases = [
    { node: clipScoreNode, ids: ['auto', 'clip-vit-b-32', 'clip-vit-l-14'], licence: /MIT/ },
    { node: upscaleNode, ids: ['auto', 'realesrgan-x4', 'realesrgan-x2'], licence: /BSD-3-Clause/ },
    { node: fluxLocalNode, ids: ['flux-fill'], licence: /Non-Commercial/ },
  ];
  for (const { node, ids, licence } of cases) {
    it(`${node.type}: the choices, a licence for every model, and each choice passes the param check`, () => {
      const descriptor = describeNode(node);
      const model = descriptor.params.properties.model as { examples?: unknown[]; 'x-licences'?: Record<string, string> };
      assert.deepEqual(model.examples, ids);
      for (const id of ids.filter((x) => x !== 'auto')) assert.match(model['x-licences']?.[id] ?? '', licence, `${id} names its licence`);
      assert.equal(model['x-licences']?.auto, undefined, 'auto is a rule, not a model: no licence');
      for (const id of ids) assert.ok(checkParams(descriptor, { model: id }).ok, `${id} is a valid value`);
      assert.ok(checkParams(descriptor, { model: 'my-own-model' }).ok, 'another configured id stays allowed');
    });
  }
});
