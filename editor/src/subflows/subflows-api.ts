import type { NodeTypeDescriptor, SubflowDefinition, SubflowExposedParam, SubflowInputPort, SubflowOutputPort, GraphDoc } from '@studioflow/runtime/graph';
import { request } from '../api/client';

export interface SubflowSummary {
  id: string;
  name: string;
  description: string;
  latestVersion: number;
  descriptor: NodeTypeDescriptor;
}

export interface SubflowBody {
  name: string;
  description?: string;
  graph: GraphDoc;
  inputs: SubflowInputPort[];
  outputs: SubflowOutputPort[];
  params: Array<Omit<SubflowExposedParam, 'schema'>>;
}

export const subflowsApi = {
  list: () => request<SubflowSummary[]>('GET', '/subflows'),
  create: (body: SubflowBody) => request<SubflowDefinition>('POST', '/subflows', body),
  latest: (id: string) => request<{ definition: SubflowDefinition }>('GET', `/subflows/${encodeURIComponent(id)}`),
  addVersion: (id: string, body: SubflowBody & { message?: string }) =>
    request<SubflowDefinition>('POST', `/subflows/${encodeURIComponent(id)}/versions`, body),
};
