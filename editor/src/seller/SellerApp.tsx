import { Suspense, useCallback, useEffect, useState } from 'react';
import type { Me } from '@studioflow/runtime/graph';
import { SessionGate } from '../shared/SessionGate';
import type { Session } from '../shared/useSession';
import { BALANCE_CHANGED } from './balance';
import { NewShoot } from './NewShoot';
import { BatchPage, Gallery, prefetchPages, ShootDetail } from './pages';
import './seller.css';

/** The app's places, as paths under /app (the server answers every /app/… with this page). */
type Route = { page: 'new' } | { page: 'gallery' } | { page: 'catalog' } | { page: 'shoot'; id: string };

function routeOf(path: string): Route {
  const shoot = /^\/app\/shoots\/([^/]+)/.exec(path);
  if (shoot) return { page: 'shoot', id: decodeURIComponent(shoot[1]) };
  if (/^\/app\/gallery/.test(path)) return { page: 'gallery' };
  if (/^\/app\/catalog/.test(path)) return { page: 'catalog' };
  return { page: 'new' };
}

const pathOf = (r: Route) =>
  r.page === 'shoot' ? `/app/shoots/${encodeURIComponent(r.id)}` : r.page === 'gallery' ? '/app/gallery' : r.page === 'catalog' ? '/app/catalog' : '/app';

function useRoute(): [Route, (r: Route) => void] {
  const [route, setRoute] = useState(() => routeOf(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(routeOf(location.pathname));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const go = useCallback((r: Route) => {
    history.pushState(null, '', pathOf(r));
    setRoute(r);
    scrollTo(0, 0);
  }, []);
  return [route, go];
}

/** The sellers' shoot app, served at /app: sign in, start shoots, watch them, download the results. */
export function SellerApp() {
  return <SessionGate app="seller">{(me, session) => <ShootApp me={me} session={session} />}</SessionGate>;
}

function ShootApp({ me, session }: { me: Me; session: Session }) {
  const [route, go] = useRoute();
  const { refresh } = session;
  useEffect(() => {
    const reread = () => void refresh();
    addEventListener(BALANCE_CHANGED, reread);
    return () => removeEventListener(BALANCE_CHANGED, reread);
  }, [refresh]);
  useEffect(prefetchPages, []);

  return (
    <div className="sf-app">
      <header className="sf-header">
        <div className="sf-header-row">
          <a className="sf-brand" href="/app" onClick={(e) => (e.preventDefault(), go({ page: 'new' }))}>
            <span className="sf-brand-mark" aria-hidden="true" />
            <span className="sf-shop" data-testid="shop-name">{me.tenant.name}</span>
          </a>
          <div className="sf-account">
            <span className="sf-balance" data-testid="balance" title="Your balance">
              {me.tenant.creditBalance} <span className="sf-muted">credits</span>
            </span>
            <button type="button" className="sf-link" onClick={() => void session.signOut()}>
              Sign out
            </button>
          </div>
        </div>
        <nav className="sf-nav" aria-label="Shoot app">
          <NavLink active={route.page === 'new'} onClick={() => go({ page: 'new' })}>
            New shoot
          </NavLink>
          <NavLink active={route.page === 'gallery' || route.page === 'shoot'} onClick={() => go({ page: 'gallery' })}>
            Gallery
          </NavLink>
          <NavLink active={route.page === 'catalog'} onClick={() => go({ page: 'catalog' })}>
            Catalog
          </NavLink>
        </nav>
      </header>
      <main className="sf-main">
        <Suspense fallback={null}>
          {route.page === 'new' && (
            <NewShoot
              me={me}
              onStarted={(id) => {
                void refresh();
                go({ page: 'shoot', id });
              }}
            />
          )}
          {route.page === 'catalog' && <BatchPage onOpenShoot={(id) => go({ page: 'shoot', id })} />}
          {route.page === 'gallery' && <Gallery onOpen={(id) => go({ page: 'shoot', id })} onNew={() => go({ page: 'new' })} />}
          {route.page === 'shoot' && <ShootDetail key={route.id} id={route.id} onBack={() => go({ page: 'gallery' })} />}
        </Suspense>
      </main>
    </div>
  );
}

function NavLink({ active, onClick, children }: { active: boolean; onClick: () => void; children: React.ReactNode }) {
  return (
    <button type="button" className={`sf-nav-link${active ? ' is-active' : ''}`} aria-current={active ? 'page' : undefined} onClick={onClick}>
      {children}
    </button>
  );
}
