import type { ShootSummary, ShootView, TemplateListing } from '@studioflow/runtime/graph';
import { apiFetch } from '../shared/session';

/** The API calls of the shoot app, all through the browser session (shared/session.ts). */
export const listTemplates = () => apiFetch<TemplateListing[]>('GET', '/templates');
export const listShoots = async () => (await apiFetch<{ items: ShootSummary[]; nextCursor: string | null }>('GET', '/shoots?limit=100')).items;
export const getShoot = (id: string) => apiFetch<ShootView>('GET', `/shoots/${encodeURIComponent(id)}`);

export function submitShoot(templateId: string, photo: File, params: Record<string, unknown>, idempotencyKey: string) {
  const form = new FormData();
  form.set('templateId', templateId);
  form.set('params', JSON.stringify(params));
  form.set('image', photo, photo.name || 'photo.jpg');
  return apiFetch<{ id: string; runId: string }>('POST', '/shoots', form, { 'Idempotency-Key': idempotencyKey });
}

/** The largest photo the app sends; the server refuses more (413) and says so too. */
export const MAX_PHOTO_BYTES = 40 * 1024 * 1024;
