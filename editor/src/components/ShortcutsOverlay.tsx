import { useUi } from '../store/ui';
import { Modal } from './Modal';

const SHORTCUTS: Array<[string, string]> = [
  ['Double-click canvas', 'Search and add a node'],
  ['Drag from a handle to empty space', 'Add a compatible node, already connected'],
  ['Drag palette item', 'Add a node where you drop it'],
  ['Click / Ctrl+click', 'Select / add to selection'],
  ['Shift+drag', 'Box-select'],
  ['Delete / Backspace', 'Delete selection'],
  ['Ctrl+C / Ctrl+X / Ctrl+V', 'Copy / cut / paste nodes'],
  ['Ctrl+D', 'Duplicate selection'],
  ['Ctrl+Shift+G', 'Make subflow of the selection'],
  ['Ctrl+A', 'Select all'],
  ['Ctrl+Z', 'Undo'],
  ['Ctrl+Shift+Z / Ctrl+Y', 'Redo'],
  ['Ctrl+S', 'Save draft'],
  ['Ctrl+Enter', 'Commit…'],
  ['Ctrl+Shift+Enter', 'Run canvas (draft run, no commit)'],
  ['Shift+L', 'Auto-layout (selection if several nodes are selected)'],
  ['F', 'Fit view'],
  ['Esc', 'Close popups / leave version or diff view'],
  ['?', 'This help'],
];

export function ShortcutsOverlay() {
  return (
    <Modal title="Keyboard shortcuts" onClose={() => useUi.getState().openDialog(null)} testId="shortcuts-overlay">
      <table className="sf-shortcuts">
        <tbody>
          {SHORTCUTS.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="sf-muted sf-small">On macOS, Cmd works wherever Ctrl is listed.</p>
    </Modal>
  );
}
