import type { NodeTypeDescriptor } from '@studioflow/runtime/graph';

const WHERE = { cpu: 'a CPU worker', gpu: 'a GPU runtime slot', cloud: 'a cloud provider (billed per call)' } as const;

/** CPU / GPU / CLOUD: where the node type really runs (its descriptor's resource). */
export function ResourceBadge({ nodeId, descriptor }: { nodeId: string; descriptor: NodeTypeDescriptor }) {
  const scheduler = descriptor.gate || descriptor.parks;
  const label = scheduler ? 'SCHED' : descriptor.resource.toUpperCase();
  const title = scheduler
    ? 'Decided by the scheduler (or a person): never sent to a worker'
    : `Runs on ${WHERE[descriptor.resource]}`;
  return (
    <span className={`sf-resource sf-resource-${scheduler ? 'scheduler' : descriptor.resource}`} title={title} data-testid={`node-resource-${nodeId}`}>
      {label}
    </span>
  );
}
