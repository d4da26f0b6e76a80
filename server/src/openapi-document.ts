import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { SESSION_COOKIE } from '@studioflow/runtime/graph';

/**
 * The OpenAPI document of the public API, generated from the controllers (their zod schemas give the
 * bodies and answers). Only the versioned /api/v1 paths are listed: the unversioned /api/... ones
 * are the same routes kept for existing clients.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Studioflow API')
    .setDescription(
      'Templates, shoots, uploads, webhooks and the editor API. Authenticate with an API key (`Authorization: Bearer <key>`) ' +
        'or, from the web apps, the session cookie (state-changing requests then also send the CSRF token in `x-csrf-token`). ' +
        'Requests are rate limited per key (per user for sessions): every answer carries RateLimit-Limit, RateLimit-Remaining and ' +
        'RateLimit-Reset, and a 429 names the wait in Retry-After.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'API key', description: 'an API key: Authorization: Bearer <key>' }, 'apiKey')
    .addCookieAuth(SESSION_COOKIE, { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'the web apps\' session (sign in at POST /api/v1/auth/login)' }, 'session')
    .addSecurityRequirements('apiKey')
    .addSecurityRequirements('session')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    // One id per operation, stable for the typed client: only v1 paths are kept, so the version adds nothing.
    operationIdFactory: (controllerKey, methodKey) => `${controllerKey.replace(/Controller$/, '')}_${methodKey}`,
  });
  document.paths = Object.fromEntries(
    Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  // Each route is listed twice before the filter (unversioned and v1), so Nest numbered the second id: undo that.
  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item) as Array<{ operationId?: string }>) {
      if (op?.operationId) op.operationId = op.operationId.replace(/\[\d+\]$/, '');
    }
  }
  return document;
}
