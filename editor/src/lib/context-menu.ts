import type { ReactFlowInstance, XYPosition } from '@xyflow/react';
import type { FlowEdge, FlowNode } from './flow';

/** What was right-clicked. Annotations are notes and groups (ids without the canvas prefix). */
export type MenuTarget =
  | { kind: 'node'; nodeId: string }
  | { kind: 'edge'; edgeId: string }
  | { kind: 'annotation'; annotationId: string }
  | { kind: 'canvas' };

export interface MenuContext {
  rf: ReactFlowInstance<FlowNode, FlowEdge>;
  /** Where the menu was opened, on screen and on the canvas. */
  screen: XYPosition;
  flow: XYPosition;
  /** The canvas element's size (for fitting). */
  viewport: { width: number; height: number };
}

export interface MenuAction<K extends MenuTarget['kind'] = MenuTarget['kind']> {
  /** Stable id; the menu item's test id is `menu-<id>`. */
  id: string;
  label: string;
  target: K;
  /** Hidden when false (e.g. nothing to paste, the view is read-only). */
  available?(target: Extract<MenuTarget, { kind: K }>): boolean;
  run(target: Extract<MenuTarget, { kind: K }>, ctx: MenuContext): void | Promise<void>;
}

const actions: MenuAction[] = [];

/**
 * Adds an entry to the canvas's right-click menus, e.g. from another feature's module:
 * `registerMenuAction({ id: 'make-subflow', label: 'Make subflow', target: 'node', run: (t) => … })`.
 * Entries appear in registration order; an id registered twice replaces the first.
 */
export function registerMenuAction<K extends MenuTarget['kind']>(action: MenuAction<K>): void {
  const at = actions.findIndex((a) => a.id === action.id);
  if (at >= 0) actions[at] = action as unknown as MenuAction;
  else actions.push(action as unknown as MenuAction);
}

export function menuActionsFor(target: MenuTarget): MenuAction[] {
  return actions.filter((a) => a.target === target.kind && (a.available?.(target as never) ?? true));
}
