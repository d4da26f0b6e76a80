import { z } from 'zod';
import { GraphDocEnvelope } from '../graphs/graphs.schemas';

const GRAPH_EXAMPLE = {
  nodes: [
    { id: 'input', type: 'input-image', params: {} },
    { id: 'segment', type: 'segment', params: {} },
  ],
  edges: [{ id: 'e1', source: 'input', sourceHandle: 'image', target: 'segment', targetHandle: 'image' }],
};

const untilNodeId = z.string().min(1).max(200).optional().describe('"run to here": run only this node and its ancestors');

/** POST /api/graphs/:id/draft-runs as JSON: the canvas as it is, run on the graph's pinned test photo. */
export const DraftRunJson = z
  .object({ graph: GraphDocEnvelope.describe('the graph document to run (checked like a commit)'), untilNodeId })
  .meta({ examples: [{ graph: GRAPH_EXAMPLE }] });
export type DraftRunJson = z.infer<typeof DraftRunJson>;

/** The same as multipart/form-data: the photo in `image`, the document as a JSON string. */
export const DraftRunMultipart = z
  .object({ graph: z.string().min(2).describe('the graph document as a JSON string'), untilNodeId })
  .meta({ examples: [{ graph: JSON.stringify(GRAPH_EXAMPLE) }] });

export const DraftRunStarted = z.object({
  id: z.uuid(),
  runId: z.uuid(),
  draftHash: z.string().describe('sha256 of the document as canonical JSON (keys sorted)'),
});

export const PinnedTestPhoto = z.object({
  uploadId: z.uuid(),
  url: z.string().describe('signed, short-lived link to the photo'),
  mime: z.string(),
  bytes: z.number(),
  width: z.number().int(),
  height: z.number().int(),
});

export const TestPhotoMultipart = z.object({}).describe('the photo in `image`');
