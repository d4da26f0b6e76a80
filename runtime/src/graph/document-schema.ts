import { Type, type Static } from '@sinclair/typebox';

/** Node ids end up in BullMQ job ids and URLs: keep them short and free of ':' and '/'. */
export const NODE_ID_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,63}$';

export const GraphNodeSchema = Type.Object({
  // Longer than NODE_ID_PATTERN allows: an expanded subflow's ids are `<instance>/<inner>`.
  id: Type.String({ minLength: 1, maxLength: 255 }),
  type: Type.String({ minLength: 1, maxLength: 100 }),
  params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  position: Type.Optional(Type.Object({ x: Type.Number(), y: Type.Number() })),
  label: Type.Optional(Type.String({ maxLength: 200 })),
  retry: Type.Optional(
    Type.Object({
      attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 20 })),
      backoffMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    }),
  ),
  timeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000 })),
  subflowVersion: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('latest')])),
  disabled: Type.Optional(Type.Boolean()),
});

export const GraphEdgeSchema = Type.Object({
  id: Type.Optional(Type.String({ maxLength: 200 })),
  source: Type.String({ minLength: 1 }),
  sourceHandle: Type.String({ minLength: 1 }),
  target: Type.String({ minLength: 1 }),
  targetHandle: Type.String({ minLength: 1 }),
});

/** Canvas notes and groups: checked for shape only, never compiled. */
export const GraphAnnotationSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 100 }),
  kind: Type.Union([Type.Literal('note'), Type.Literal('group')]),
  title: Type.String({ maxLength: 200 }),
  text: Type.Optional(Type.String({ maxLength: 5000 })),
  color: Type.String({ maxLength: 40 }),
  position: Type.Object({ x: Type.Number(), y: Type.Number() }),
  size: Type.Object({ width: Type.Number({ minimum: 1 }), height: Type.Number({ minimum: 1 }) }),
});

export const GraphDocSchema = Type.Object({
  nodes: Type.Array(GraphNodeSchema, { maxItems: 2000 }),
  edges: Type.Array(GraphEdgeSchema, { maxItems: 10000 }),
  subflows: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  annotations: Type.Optional(Type.Array(GraphAnnotationSchema, { maxItems: 500 })),
});

export type GraphDocInput = Static<typeof GraphDocSchema>;
