import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import openapiTS, { astToString } from 'openapi-typescript';
import { AppModule } from '../app.module';
import { routeVersions } from '../app';
import { loadConfig } from '../config/config';
import { buildOpenApiDocument } from '../openapi-document';

/** Where the generated types live, beside the thin client that uses them (src, not dist). */
export const CLIENT_SCHEMA_PATH = resolve(__dirname, '../../../src/client/schema.d.ts');

const BANNER = '// Generated from the OpenAPI document by `npm run gen:client -w server`. Do not edit: change the controllers and regenerate.\n';

/** The OpenAPI document without a database or Redis: Nest's preview mode builds no provider. */
export async function openApiDocumentOffline(): Promise<OpenAPIObject> {
  const app = await NestFactory.create(AppModule.forRoot(loadConfig()), { preview: true, logger: false, abortOnError: false });
  routeVersions(app);
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close().catch(() => undefined);
  }
}

/** The TypeScript source of the client's types for a document. */
export async function clientSchemaSource(document: OpenAPIObject): Promise<string> {
  const ast = await openapiTS(JSON.parse(JSON.stringify(document)));
  return BANNER + astToString(ast);
}

if (require.main === module) {
  void (async () => {
    const source = await clientSchemaSource(await openApiDocumentOffline());
    await writeFile(CLIENT_SCHEMA_PATH, source);
    console.log(`wrote ${CLIENT_SCHEMA_PATH}`);
    process.exit(0);
  })();
}
