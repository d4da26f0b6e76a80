import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { InferenceSession } from 'onnxruntime-node';
import { isPermanentError, type NodeLogger } from '@studioflow/runtime/contract';
import { tinySegmentationModel } from '@studioflow/nodes/testing';
import { onnxLoader } from '../src/backends/onnx';
import { ModelPool, type ModelSource } from '../src/model-pool';
import { DeviceSlots, slotDevices } from '../src/slots';

const quiet: NodeLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('the warm model pool of a slot (real onnxruntime on the CPU)', () => {
  let dir: string;
  const sources = new Map<string, ModelSource>();
  let modelBytes = 0;
  const pool = (budgetBytes: number, log: NodeLogger = quiet) =>
    new ModelPool({
      device: 'cpu',
      budgetBytes,
      backends: [{ name: 'onnx', resolve: (id) => sources.get(id) ?? null, load: onnxLoader(), configuredIds: () => [...sources.keys()] }],
      log,
    });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sf-model-pool-'));
    for (const id of ['a', 'b', 'c']) {
      const bytes = tinySegmentationModel({ size: 8, k: -1, b: 0, sigmoid: true });
      modelBytes = bytes.length;
      await writeFile(join(dir, `${id}.onnx`), bytes);
      sources.set(id, { id, path: join(dir, `${id}.onnx`), spec: { id } });
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('hands out one warm session per model: three acquisitions, one load', async () => {
    const p = pool(2 ** 20);
    const sessions: InferenceSession[] = [];
    for (let job = 0; job < 3; job++) {
      const handle = await p.acquire<InferenceSession>('a');
      sessions.push(handle.session);
      assert.deepEqual(handle.session.inputNames, ['pixel_values']);
      handle.release();
    }
    assert.equal(p.loads, 1);
    assert.ok(sessions.every((s) => s === sessions[0]), 'the same session object every time');
    await p.close();
  });

  it('evicts the least recently used idle model when a new one would exceed the budget, and reloads it on demand', async () => {
    const p = pool(Math.floor(modelBytes * 2.5));
    for (const id of ['a', 'b']) (await p.acquire(id)).release();
    (await p.acquire('a')).release(); // a is now more recent than b
    (await p.acquire('c')).release();
    assert.deepEqual(p.status().models.map((m) => m.id).sort(), ['a', 'c'], 'b, the least recently used, was evicted');
    assert.equal(p.evictions, 1);
    assert.equal(p.loads, 3);
    (await p.acquire('b')).release();
    assert.equal(p.loads, 4, 'b is loaded again');
    assert.ok(!p.holds('a'), 'and a, now the least recently used, made room');
    assert.ok(p.usedBytes <= p.status().budgetBytes);
    await p.close();
  });

  it('never evicts a model a job still holds', async () => {
    const p = pool(Math.floor(modelBytes * 1.5));
    const held = await p.acquire('a');
    (await p.acquire('b')).release();
    assert.ok(p.holds('a'), 'a is in use');
    held.release();
    (await p.acquire('c')).release();
    assert.ok(!p.holds('a') && !p.holds('b') && p.holds('c'), 'once released, both make room for c');
    await p.close();
  });

  it('preloads the served models and records each cold start with a log line', async () => {
    const lines: string[] = [];
    const p = pool(2 ** 20, { ...quiet, info: (msg, extra) => lines.push(`${msg} ${String(extra?.modelId)}`) });
    await p.preload(['a', 'b']);
    assert.ok(p.holds('a') && p.holds('b'));
    const status = p.status();
    assert.deepEqual(status.coldStarts.map((c) => c.modelId), ['a', 'b']);
    assert.ok(status.coldStarts.every((c) => c.loadMs >= 0 && c.provider === 'cpu'));
    assert.deepEqual(lines, ['model loaded (cold start) a', 'model loaded (cold start) b']);
    (await p.acquire('a')).release();
    assert.equal(p.loads, 2, 'the first job finds the model warm');
    await p.close();
  });

  it('refuses an unconfigured model and one larger than the budget with permanent errors', async () => {
    const p = pool(modelBytes - 1);
    await assert.rejects(p.acquire('nope'), (err: Error) => isPermanentError(err) && /model "nope" is not configured on this GPU runtime/.test(err.message));
    await assert.rejects(p.acquire('a'), (err: Error) => isPermanentError(err) && /is larger than the slot's model budget/.test(err.message));
    await p.close();
  });

  it('gives a model job the free slot that holds the model warm', async () => {
    const first = pool(2 ** 20);
    const second = pool(2 ** 20);
    await second.preload(['b']);
    const slots = new DeviceSlots([first, second]);
    const used = await slots.run('b', async (slot) => slot.models);
    assert.equal(used, second);
    assert.equal(await slots.run('a', async (slot) => slot.models), first, 'a cold model goes to the slot with the most room');
    await slots.close();
  });

  it('runs one job per slot at a time', async () => {
    const slots = new DeviceSlots([pool(2 ** 20)]);
    let running = 0;
    let most = 0;
    await Promise.all(Array.from({ length: 4 }, () => slots.run(undefined, async () => {
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
    })));
    assert.equal(most, 1);
    await slots.close();
  });
});

describe('slots bound to devices', () => {
  it('makes one slot per visible GPU, and one CPU slot without GPUs', () => {
    assert.deepEqual(slotDevices({ CUDA_VISIBLE_DEVICES: '2,5' }), ['cuda:0', 'cuda:1']);
    assert.deepEqual(slotDevices({ CUDA_VISIBLE_DEVICES: '' }), ['cpu']);
    assert.deepEqual(slotDevices({}), ['cpu']);
  });
});
