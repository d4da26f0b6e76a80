import { z } from 'zod';
import { ShootDetail } from './shoots.schemas';

export const RunDetail = ShootDetail.extend({
  seq: z.number().int().describe('the seq of the newest run event this snapshot reflects (events carry seq; drop older ones)'),
});

export const RunLogsQuery = z.object({
  nodeId: z.string().min(1).max(200).optional().describe('only this node\'s lines'),
});
export type RunLogsQuery = z.infer<typeof RunLogsQuery>;

export const RunLogEntry = z.object({
  nodeId: z.string(),
  attempt: z.number().int(),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string(),
  at: z.string().describe('ISO 8601'),
});
