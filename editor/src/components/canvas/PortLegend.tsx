import { useState } from 'react';
import { Panel } from '@xyflow/react';
import { PORT_TYPES, PORT_TYPE_INFO } from '@studioflow/runtime/graph';
import { portColor } from '../../lib/flow';

const KEY = 'studioflow.legendOpen';

function initiallyOpen(): boolean {
  try {
    return localStorage.getItem(KEY) !== 'false';
  } catch {
    return true;
  }
}

/** Which colour is which port type; collapsible, remembered per browser. */
export function PortLegend() {
  const [open, setOpen] = useState(initiallyOpen);
  const toggle = () => {
    setOpen(!open);
    try {
      localStorage.setItem(KEY, String(!open));
    } catch {
      /* ignore */
    }
  };
  return (
    <Panel position="top-left" className="sf-port-legend" data-testid="port-legend" data-open={open}>
      <button className="sf-port-legend-toggle" onClick={toggle} aria-expanded={open} data-testid="port-legend-toggle">
        {open ? '▾' : '▸'} Port types
      </button>
      {open ? (
        <ul>
          {PORT_TYPES.map((t) => (
            <li key={t} title={PORT_TYPE_INFO[t].description} data-testid={`legend-${t}`}>
              <i style={{ background: portColor(t) }} />
              {PORT_TYPE_INFO[t].label}
            </li>
          ))}
        </ul>
      ) : null}
    </Panel>
  );
}
