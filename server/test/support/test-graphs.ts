import assert from 'node:assert/strict';
import type { GraphDoc } from '@studioflow/runtime/graph';
import { api, type TestApp } from './test-app';

/** The white-studio pipeline laid out left to right, as the editor would save it (composite fill 0.85). */
export const WHITE_STUDIO_LAID_OUT: GraphDoc = {
  nodes: [
    { id: 'input', type: 'input-image', position: { x: 0, y: 80 } },
    { id: 'segment', type: 'segment', position: { x: 300, y: 80 } },
    { id: 'composite', type: 'studio-composite', params: { fill: 0.85 }, position: { x: 600, y: 80 } },
    { id: 'deliver', type: 'deliver', position: { x: 900, y: 80 } },
  ],
  edges: [
    { id: 'e1', source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
    { id: 'e2', source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
    { id: 'e3', source: 'composite', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
  ],
};

/** White studio with a reviewer between the composite and delivery: every shoot of it parks for review. */
export const REVIEWED_LOOK: { name: string; draft: GraphDoc } = {
  name: 'reviewed look',
  draft: {
    nodes: [
      { id: 'input', type: 'input-image' },
      { id: 'segment', type: 'segment' },
      { id: 'composite', type: 'studio-composite', params: { fill: 0.8, background: 'solid', color: '#f4efe6' } },
      { id: 'review', type: 'human-review' },
      { id: 'deliver', type: 'deliver' },
    ],
    edges: [
      { source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' },
      { source: 'segment', sourceHandle: 'cutout', target: 'composite', targetHandle: 'cutout' },
      { source: 'composite', sourceHandle: 'image', target: 'review', targetHandle: 'image' },
      { source: 'review', sourceHandle: 'image', target: 'deliver', targetHandle: 'image' },
    ],
  },
};

/** A shoot request as a seller's app sends it: the photo and the form fields (templateId, params, …). */
export function shootForm(photo: Buffer, fields: Record<string, string>, filename = 'photo.jpg'): FormData {
  const form = new FormData();
  form.set('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), filename);
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return form;
}

/** A seller's shoot from `photo` with these form fields, polled until it ends (completed, failed or parked for review). */
export async function shootToEnd(t: TestApp, photo: Buffer, fields: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: any }> {
  const started = await api(t, '/api/shoots', { method: 'POST', key: t.userKey, body: shootForm(photo, fields) });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const shoot = await api(t, `/api/shoots/${started.body.id}`, { key: t.userKey });
    if (['completed', 'failed', 'awaiting_review'].includes(shoot.body.status)) return shoot;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for shoot ${started.body.id} to end; last: ${JSON.stringify(shoot.body).slice(0, 1000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
