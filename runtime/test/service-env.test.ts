import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashTaggedPrefix, serviceEnv } from '../src/config';

test('the queue prefix is hash-tagged by default, so BullMQ scripts run on Redis Cluster', () => {
  assert.equal(serviceEnv({}).queuePrefix, '{studioflow}');
  assert.equal(serviceEnv({ QUEUE_PREFIX: '' }).queuePrefix, '{studioflow}');
});

test('a prefix without a tag is wrapped in one; one with a tag is kept, so passing it on twice changes nothing', () => {
  assert.equal(hashTaggedPrefix('shop-eu'), '{shop-eu}');
  assert.equal(hashTaggedPrefix('{shop-eu}'), '{shop-eu}');
  assert.equal(hashTaggedPrefix(hashTaggedPrefix('a')), '{a}');
  assert.equal(hashTaggedPrefix('eu:{shop}'), 'eu:{shop}');
  // Redis ignores an empty tag `{}` and hashes the whole key: that is no tag.
  assert.equal(hashTaggedPrefix('x{}'), '{x{}}');
  assert.equal(serviceEnv({ QUEUE_PREFIX: 'staging' }).queuePrefix, '{staging}');
});
