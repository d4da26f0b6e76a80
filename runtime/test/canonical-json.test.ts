import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../src/graph';

test('canonicalJson sorts keys at every level, so key order does not change a draft hash; values and array order do', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { y: 1, x: 0 }], c: null } }), '{"a":{"c":null,"d":[2,{"x":0,"y":1}]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  assert.notEqual(canonicalJson({ a: 0.6 }), canonicalJson({ a: 0.85 }));
});
