import { Suspense, useEffect } from 'react';
import { ReactFlowProvider } from '@xyflow/react';
import { onApiHealth } from './api/client';
import { selectDirty, useEditor } from './store/editor';
import { initialGraphId, loadCatalog, openGraph } from './store/actions';
import { useUi, type SideTab } from './store/ui';
import { TopBar } from './components/TopBar';
import { Palette } from './components/Palette';
import { Canvas } from './components/Canvas';
import { Inspector } from './components/Inspector';
import { ProblemsPanel } from './components/ProblemsPanel';
import { ApiBanner, Toasts, ViewBanner } from './components/Banners';
import { ViewingRunBanner } from './components/run-view/ran-with';
import { RollbackConfirm } from './components/RollbackConfirm';
import { CommitDialog, DebugPanel, GraphsDialog, HistoryPanel, prefetchLazyParts, PublishDialog, RunPanel, SaveDialog, ShortcutsOverlay } from './components/lazy';
import { useShortcuts } from './components/useShortcuts';
import { useRun } from './store/run';
import { SubflowLayer } from './subflows/SubflowBanner';

function useStartup() {
  useEffect(() => {
    const off = onApiHealth((h) => useUi.getState().setApiHealth(h));
    let cancelled = false;
    void (async () => {
      const ok = await loadCatalog();
      const id = initialGraphId();
      if (ok && id && !cancelled) await openGraph(id, true);
      prefetchLazyParts();
    })();
    // While the API is down, retry quietly so the editor recovers when the server comes up.
    const timer = setInterval(() => {
      const ui = useUi.getState();
      if (ui.apiHealth === 'unreachable' || useEditor.getState().catalogStatus === 'error') {
        void loadCatalog().then(async (ok) => {
          const id = initialGraphId();
          if (ok && id && !useEditor.getState().graph.id && useEditor.getState().nodes.length === 0) await openGraph(id, true);
        });
      }
    }, 10_000);
    const beforeUnload = (e: BeforeUnloadEvent) => {
      if (selectDirty(useEditor.getState())) e.preventDefault();
    };
    window.addEventListener('beforeunload', beforeUnload);
    return () => {
      cancelled = true;
      off();
      clearInterval(timer);
      window.removeEventListener('beforeunload', beforeUnload);
    };
  }, []);
}

const TABS: Array<[SideTab, string]> = [
  ['inspector', 'Inspector'],
  ['run', 'Run'],
  ['history', 'History'],
  ['debug', 'Debug'],
];

function SidePanel() {
  const tab = useUi((s) => s.sideTab);
  const runPhase = useRun((s) => s.phase);
  return (
    <aside className="sf-side">
      <nav className="sf-tabs" role="tablist">
        {TABS.map(([id, label]) => (
          <button key={id} role="tab" aria-selected={tab === id} className={tab === id ? 'is-active' : ''} onClick={() => useUi.getState().setSideTab(id)} data-testid={`tab-${id}`}>
            {label}
            {id === 'run' && (runPhase === 'running' || runPhase === 'queued') ? <span className="sf-dot-live" /> : null}
          </button>
        ))}
      </nav>
      <div className="sf-side-body">
        <Suspense fallback={null}>{tab === 'inspector' ? <Inspector /> : tab === 'run' ? <RunPanel /> : tab === 'debug' ? <DebugPanel /> : <HistoryPanel />}</Suspense>
      </div>
    </aside>
  );
}

function Dialogs() {
  const dialog = useUi((s) => s.dialog);
  switch (dialog) {
    case 'graphs':
      return <GraphsDialog />;
    case 'save':
      return <SaveDialog />;
    case 'commit':
      return <CommitDialog />;
    case 'publish':
      return <PublishDialog />;
    case 'shortcuts':
      return <ShortcutsOverlay />;
    default:
      return null;
  }
}

function Shell() {
  useStartup();
  useShortcuts();
  return (
    <div className="sf-app">
      <TopBar />
      <ApiBanner />
      <ViewBanner />
      <ViewingRunBanner />
      <SubflowLayer />
      <div className="sf-main">
        <Palette />
        <div className="sf-centre">
          <Canvas />
          <ProblemsPanel />
        </div>
        <SidePanel />
      </div>
      <Suspense fallback={null}>
        <Dialogs />
      </Suspense>
      <RollbackConfirm />
      <Toasts />
    </div>
  );
}

export function App() {
  return (
    <ReactFlowProvider>
      <Shell />
    </ReactFlowProvider>
  );
}
