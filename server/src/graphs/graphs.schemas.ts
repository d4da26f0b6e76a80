import { z } from 'zod';

/** Graph documents are checked by the shared validator; zod only checks the envelope. */
export const GraphDocEnvelope = z.object({
  nodes: z.array(z.any()),
  edges: z.array(z.any()),
  /** The canvas's notes and groups; kept with the draft, ignored by the compiler. */
  annotations: z.array(z.any()).optional(),
});

const DRAFT_EXAMPLE = {
  nodes: [
    { id: 'input', type: 'input-image', params: {} },
    { id: 'segment', type: 'segment', params: {} },
  ],
  edges: [{ id: 'e1', source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' }],
};

export const CreateGraphBody = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  draft: GraphDocEnvelope.optional(),
}).meta({ examples: [{ name: 'White studio', description: 'cut-out on a white backdrop', draft: DRAFT_EXAMPLE }] });

export const SaveDraftBody = z
  .object({ draft: GraphDocEnvelope, name: z.string().min(1).max(200).optional() })
  .meta({ examples: [{ draft: DRAFT_EXAMPLE, name: 'White studio' }] });
export const CommitBody = z.object({ message: z.string().max(2000).default('') }).meta({ examples: [{ message: 'softer shadow' }] });
export const ValidateBody = z.object({ graph: z.unknown() }).meta({ examples: [{ graph: DRAFT_EXAMPLE }] });

export type CreateGraphBody = z.infer<typeof CreateGraphBody>;
export type SaveDraftBody = z.infer<typeof SaveDraftBody>;
export type CommitBody = z.infer<typeof CommitBody>;
