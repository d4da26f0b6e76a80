import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

export type { components, operations, paths } from './schema';
/** For a webhook receiver: checks a delivery's Standard Webhooks signature and timestamp. */
export { verifyWebhook } from '../outgoing-webhooks/signing';

/** The public API, typed from its OpenAPI document (schema.d.ts, made by `npm run gen:client -w server`). */
export type StudioflowClient = Client<paths>;

/**
 * A client for `baseUrl` (the server's origin) with an API key: paths, bodies and answers are
 * checked by TypeScript against the document, e.g. `client.GET('/api/v1/shoots/{id}', { params: { path: { id } } })`.
 */
export function createStudioflowClient(baseUrl: string, apiKey: string): StudioflowClient {
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${apiKey}` } });
}
