import { SessionGate } from '../shared/SessionGate';
import { AuthCard } from '../shared/SignIn';

/** The sellers' shoot app, served at /app. */
export function SellerApp() {
  return (
    <SessionGate app="seller">
      {(me, session) => (
        <AuthCard app="seller" title={`Hello, ${me.user.name || me.user.email}`} lead={`${me.tenant.name} · ${me.tenant.creditBalance} credits`}>
          <button type="button" className="sf-auth-submit" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </AuthCard>
      )}
    </SessionGate>
  );
}
