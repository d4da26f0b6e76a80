import { memo } from 'react';
import { NodeResizer, type NodeProps } from '@xyflow/react';
import type { GraphAnnotation } from '@studioflow/runtime/graph';
import { GROUP_COLOURS, NOTE_COLOURS, type AnnotationNode } from '../../lib/annotations';
import { selectReadOnly, useEditor } from '../../store/editor';

function update(id: string, patch: Partial<GraphAnnotation>, historyKey: string) {
  const s = useEditor.getState();
  s.setAnnotations(s.annotations.map((a) => (a.id === id ? { ...a, ...patch } : a)), historyKey);
}

function ColourSwatches({ a, colours }: { a: GraphAnnotation; colours: string[] }) {
  return (
    <span className="sf-ann-swatches nodrag">
      {colours.map((c) => (
        <button
          key={c}
          className={`sf-ann-swatch ${c === a.color ? 'is-current' : ''}`}
          style={{ background: c }}
          title={`Colour ${c}`}
          aria-label={`Colour ${c}`}
          onClick={() => update(a.id, { color: c }, `ann-colour:${a.id}`)}
          data-testid={`ann-colour-${a.id}-${c.slice(1)}`}
        />
      ))}
    </span>
  );
}

function TitleInput({ a }: { a: GraphAnnotation }) {
  const readOnly = useEditor(selectReadOnly);
  return (
    <input
      className="sf-ann-title nodrag"
      value={a.title}
      disabled={readOnly}
      onChange={(e) => update(a.id, { title: e.target.value }, `ann-title:${a.id}`)}
      aria-label={`${a.kind} title`}
      data-testid={`ann-title-${a.id}`}
    />
  );
}

/** Where to grab a note or group to move it (its title is a text field). */
function Grip({ id }: { id: string }) {
  return (
    <span className="sf-ann-grip" title="Drag to move" data-testid={`ann-grip-${id}`}>
      ⠿
    </span>
  );
}

function NoteViewImpl({ data, selected }: NodeProps<AnnotationNode>) {
  const a = data.annotation;
  const readOnly = useEditor(selectReadOnly);
  return (
    <div className="sf-ann sf-ann-note" style={{ background: a.color }} data-testid={`ann-${a.id}`}>
      <NodeResizer isVisible={selected && !readOnly} minWidth={140} minHeight={80} />
      <div className="sf-ann-head sf-ann-drag">
        <Grip id={a.id} />
        <TitleInput a={a} />
        {selected ? <ColourSwatches a={a} colours={NOTE_COLOURS} /> : null}
      </div>
      <textarea
        className="sf-ann-text nodrag nowheel"
        value={a.text ?? ''}
        placeholder="Write a note…"
        disabled={readOnly}
        onChange={(e) => update(a.id, { text: e.target.value }, `ann-text:${a.id}`)}
        data-testid={`ann-text-${a.id}`}
      />
    </div>
  );
}

function GroupViewImpl({ data, selected }: NodeProps<AnnotationNode>) {
  const a = data.annotation;
  const readOnly = useEditor(selectReadOnly);
  return (
    <div className="sf-ann sf-ann-group" style={{ borderColor: a.color, background: `${a.color}14` }} data-testid={`ann-${a.id}`}>
      <NodeResizer isVisible={selected && !readOnly} minWidth={200} minHeight={120} color={a.color} />
      <div className="sf-ann-head sf-ann-drag" style={{ background: `${a.color}40` }}>
        <Grip id={a.id} />
        <TitleInput a={a} />
        {selected ? <ColourSwatches a={a} colours={GROUP_COLOURS} /> : null}
      </div>
    </div>
  );
}

export const NoteView = memo(NoteViewImpl);
export const GroupView = memo(GroupViewImpl);
