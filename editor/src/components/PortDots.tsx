import type { NodeTypeDescriptor } from '@studioflow/runtime/graph';
import { portColor } from '../lib/flow';

/** Small coloured dots: input types → output types. */
export function PortDots({ descriptor }: { descriptor: NodeTypeDescriptor }) {
  return (
    <span className="sf-portdots">
      {descriptor.inputs.map((p) => (
        <i key={`i-${p.name}`} style={{ background: portColor(p.type) }} title={`in: ${p.name} (${p.type})`} />
      ))}
      <span className="sf-portdots-arrow">→</span>
      {descriptor.outputs.map((p) => (
        <i key={`o-${p.name}`} style={{ background: portColor(p.type) }} title={`out: ${p.name} (${p.type})`} />
      ))}
    </span>
  );
}
