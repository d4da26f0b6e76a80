import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';
import { z, type ZodType } from 'zod';

/**
 * The OpenAPI schema of a zod schema: the one the ZodPipe checks, so the document cannot drift from
 * the validation. Examples ride on the schema (`.meta({ examples: [...] })`).
 */
export function openApiSchema(schema: ZodType, io: 'input' | 'output' = 'input'): SchemaObject {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json.$schema;
  // OpenAPI 3.0 has one `example` per schema where JSON Schema has a list.
  if (Array.isArray(json.examples)) {
    json.example = json.examples[0];
    delete json.examples;
  }
  return json as SchemaObject;
}

/** Documents a JSON request body checked by `new ZodPipe(schema)`. */
export function ApiZodBody(schema: ZodType, description?: string): MethodDecorator {
  return applyDecorators(ApiConsumes('application/json'), ApiBody({ schema: openApiSchema(schema), description }));
}

/** Documents a response with the schema of its zod description. */
export function ApiZodResponse(status: number, schema: ZodType, description?: string): MethodDecorator {
  return ApiResponse({ status, schema: openApiSchema(schema, 'output'), description });
}

/** A multipart form's schema with the photo as its `image` file field. */
export function withFile(schema: SchemaObject): SchemaObject {
  return {
    ...schema,
    required: ['image', ...(schema.required ?? [])],
    properties: { image: { type: 'string', format: 'binary', description: 'the product photo (JPEG, PNG, WebP, …)' }, ...(schema.properties ?? {}) },
  };
}
