import { z } from 'zod';

/** Graph documents are checked by the shared validator; zod only checks the envelope. */
export const GraphDocEnvelope = z.object({ nodes: z.array(z.any()), edges: z.array(z.any()) });

export const CreateGraphBody = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  draft: GraphDocEnvelope.optional(),
});

export const SaveDraftBody = z.object({ draft: GraphDocEnvelope, name: z.string().min(1).max(200).optional() });
export const CommitBody = z.object({ message: z.string().max(2000).default('') });
export const ValidateBody = z.object({ graph: z.unknown() });

export type CreateGraphBody = z.infer<typeof CreateGraphBody>;
export type SaveDraftBody = z.infer<typeof SaveDraftBody>;
export type CommitBody = z.infer<typeof CommitBody>;
