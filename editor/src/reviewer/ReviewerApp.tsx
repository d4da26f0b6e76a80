import { SessionGate } from '../shared/SessionGate';
import { AuthCard } from '../shared/SignIn';

/** The reviewers' console, served at /review. */
export function ReviewerApp() {
  return (
    <SessionGate app="reviewer">
      {(me, session) => (
        <AuthCard app="reviewer" title={`Hello, ${me.user.name || me.user.email}`} lead={`Reviewing for ${me.tenant.name}`}>
          <button type="button" className="sf-auth-submit" onClick={() => void session.signOut()}>
            Sign out
          </button>
        </AuthCard>
      )}
    </SessionGate>
  );
}
