import { z } from 'zod';
import { PORT_TYPES } from '@studioflow/runtime/graph';
import { GraphDocEnvelope } from '../graphs/graphs.schemas';

const portName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'a letter, then letters, digits, "_" or "-"');
const endpoint = z.object({ node: z.string().min(1).max(255), port: z.string().min(1).max(100) });

const SubflowBody = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(5000).optional(),
  graph: GraphDocEnvelope,
  inputs: z.array(z.object({ name: portName, type: z.enum(PORT_TYPES), label: z.string().max(200).optional(), targets: z.array(endpoint).min(1).max(50) })).max(50),
  outputs: z.array(z.object({ name: portName, type: z.enum(PORT_TYPES), label: z.string().max(200).optional(), source: endpoint })).max(50),
  params: z
    .array(z.object({ name: portName, node: z.string().min(1).max(255), param: z.string().min(1).max(100), title: z.string().max(200).optional(), default: z.unknown().optional() }))
    .max(100)
    .default([]),
});

const EXAMPLE = {
  name: 'Cutout',
  description: 'segment, then keep the product only',
  graph: {
    nodes: [{ id: 'seg', type: 'segment', params: {} }],
    edges: [],
  },
  inputs: [{ name: 'image', type: 'image', targets: [{ node: 'seg', port: 'image' }] }],
  outputs: [{ name: 'cutout', type: 'cutout', source: { node: 'seg', port: 'cutout' } }],
  params: [],
};

export const CreateSubflowBody = SubflowBody.meta({ examples: [EXAMPLE] });
export type CreateSubflowBody = z.infer<typeof CreateSubflowBody>;

/** A new version: the whole definition again (the editor saves what it edited), name optional, plus a message. */
export const NewSubflowVersionBody = SubflowBody.extend({ name: z.string().min(1).max(200).optional(), message: z.string().max(2000).default('') }).meta({
  examples: [{ ...EXAMPLE, message: 'finer mask' }],
});
export type NewSubflowVersionBody = z.infer<typeof NewSubflowVersionBody>;
