import { SessionGate } from '../shared/SessionGate';
import { AuthCard } from '../shared/SignIn';
import { ReviewConsole } from './ReviewConsole';
import './reviewer.css';

/** The reviewers' console, served at /review: the shared sign-in, then the queue. Staff may review too. */
export function ReviewerApp() {
  return (
    <SessionGate app="reviewer">
      {(me, session) =>
        me.user.role === 'reviewer' || me.user.role === 'staff' ? (
          <ReviewConsole me={me} onSignOut={() => void session.signOut()} />
        ) : (
          <AuthCard app="reviewer" title="Reviewers only" lead="This console is for your shop's reviewers and staff. Sellers submit and follow shoots in the shoot app.">
            <a className="sf-auth-submit" href="/app">
              Open the shoot app
            </a>
            <button type="button" className="sf-auth-submit" onClick={() => void session.signOut()}>
              Sign out
            </button>
          </AuthCard>
        )
      }
    </SessionGate>
  );
}
