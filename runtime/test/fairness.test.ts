import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_QUEUE_PRIORITY, planAdmission, queuePriorities, queuePriority } from '../src/scheduler';

const items = (tenantId: string, n: number) => Array.from({ length: n }, (_, i) => ({ tenantId, key: `${tenantId}${i + 1}` }));
const keys = (admitted: Array<{ key: string }>) => admitted.map((i) => i.key);

test('admission takes turns across tenants, one item each per turn, in each tenant\'s own order', () => {
  const admitted = planAdmission({ inflight: new Map(), waiting: [...items('a', 5), ...items('b', 2)], perTenantLimit: 8, maxAdmissions: 5 });
  assert.deepEqual(keys(admitted), ['a1', 'b1', 'a2', 'b2', 'a3']);
});

test('a tenant at its in-flight limit admits nothing, and one near it only what fits', () => {
  const admitted = planAdmission({ inflight: new Map([['a', 8], ['b', 6]]), waiting: [...items('a', 3), ...items('b', 5)], perTenantLimit: 8, maxAdmissions: 100 });
  assert.deepEqual(keys(admitted), ['b1', 'b2']);
});

test('the least loaded tenant goes first, so a full round cannot always favour the same one', () => {
  const admitted = planAdmission({ inflight: new Map([['a', 3], ['b', 0]]), waiting: [...items('a', 3), ...items('b', 3)], perTenantLimit: 8, maxAdmissions: 1 });
  assert.deepEqual(keys(admitted), ['b1']);
});

test('nothing waiting or no room: nothing admitted', () => {
  assert.deepEqual(planAdmission({ inflight: new Map(), waiting: [], perTenantLimit: 8, maxAdmissions: 10 }), []);
  assert.deepEqual(planAdmission({ inflight: new Map(), waiting: items('a', 2), perTenantLimit: 0, maxAdmissions: 10 }), []);
});

test("a tenant's first run gets the first priority, a busy tenant's next run a later one", () => {
  assert.equal(queuePriority(0), 1);
  assert.equal(queuePriority(199), 200);
  assert.equal(queuePriority(10_000_000), MAX_QUEUE_PRIORITY, 'capped at BullMQ\'s largest priority');
  assert.deepEqual(
    queuePriorities([{ tenantId: 'a' }, { tenantId: 'a' }, { tenantId: 'b' }, { tenantId: 'a' }], new Map([['a', 8]])),
    [9, 10, 1, 11],
    'runs started together count the ones before them',
  );
});
