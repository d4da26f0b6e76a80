import { useEffect, useState, type FormEvent } from 'react';
import type { Me } from '@studioflow/runtime/graph';
import { fetchMe, HttpError, signIn, signOut } from '../shared/session';
import { ReviewConsole } from './ReviewConsole';
import './reviewer.css';

/** The reviewers' console, served at /review: sign-in, then the queue. Staff may review too. */
export function ReviewerApp() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    fetchMe().then(setMe, () => setMe(null));
  }, []);
  if (me === undefined) return <div className="rv-center rv-muted">Loading…</div>;
  if (!me) return <SignInForm onSignedIn={setMe} />;
  const out = () => void signOut().finally(() => setMe(null));
  if (me.user.role !== 'reviewer' && me.user.role !== 'staff') {
    return (
      <div className="rv-center">
        <div className="rv-card">
          <h1>Reviewers only</h1>
          <p>This console is for your shop's reviewers and staff. Sellers submit and follow shoots in the shoot app.</p>
          <div className="rv-row">
            <a className="rv-btn rv-btn-primary" href="/app">
              Open the shoot app
            </a>
            <button type="button" className="rv-btn" onClick={out}>
              Sign out
            </button>
          </div>
        </div>
      </div>
    );
  }
  return <ReviewConsole me={me} onSignOut={out} />;
}

function SignInForm({ onSignedIn }: { onSignedIn(me: Me): void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(email, password));
    } catch (err) {
      setError(err instanceof HttpError && err.status === 401 ? 'Wrong email or password.' : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="rv-center">
      <form className="rv-card rv-signin" onSubmit={(e) => void submit(e)}>
        <h1>Studioflow review</h1>
        <p className="rv-muted">Sign in to review your shop's shoots.</p>
        <label className="rv-field">
          <span>Email</span>
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="rv-field">
          <span>Password</span>
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p className="rv-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="rv-btn rv-btn-primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
