import { useEffect, useState, type FormEvent } from 'react';
import { MIN_PASSWORD_LENGTH, type InviteInfo, type Me } from '@studioflow/runtime/graph';
import { acceptInvite, describeInvite } from './accounts';
import { HttpError } from './session';
import { AuthCard, describeError, sentence, type AppName } from './SignIn';
import './sign-in.css';

const ROLE_WORDS: Record<InviteInfo['role'], string> = { reviewer: 'a reviewer', end_user: 'a seller' };

/**
 * The page an invitation link opens (`/review/accept?token=…`, `/app/accept?token=…`): says who
 * invites whom, takes a name and a password, creates the account and signs it in.
 */
export function AcceptInvite({ app, token, onSignedIn }: { app: AppName; token: string; onSignedIn: (me: Me) => void }) {
  const [invite, setInvite] = useState<InviteInfo | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    describeInvite(token).then(setInvite, (err: unknown) => {
      if (err instanceof HttpError && (err.status === 404 || err.status === 410 || err.status === 400)) {
        setProblem(err.status === 410 ? sentence(err.message) : 'This invitation link is not valid. Ask for a new one.');
      } else setProblem(describeError(err));
    });
  }, [token]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (password.length < MIN_PASSWORD_LENGTH) return setError(`Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
    setBusy(true);
    setError(null);
    try {
      const me = await acceptInvite(token, { name, password });
      // The accept URL holds the (now used) token: leave it for the app's home.
      window.history.replaceState(null, '', window.location.pathname.replace(/\/accept\/?$/, '/'));
      onSignedIn(me);
    } catch (err) {
      setError(err instanceof HttpError && err.status === 410 ? sentence(err.message) : describeError(err));
      setBusy(false);
    }
  }

  if (problem) {
    return (
      <AuthCard app={app} title="Invitation unavailable" lead={problem}>
        <a className="sf-auth-link" href={app === 'seller' ? '/app/' : '/review/'}>
          Go to sign in
        </a>
      </AuthCard>
    );
  }
  if (!invite) return <AuthCard app={app} title="Opening your invitation…" />;
  return (
    <AuthCard app={app} title={`Join ${invite.tenantName}`} lead={`You are invited as ${ROLE_WORDS[invite.role]}. Choose your name and a password.`}>
      <form onSubmit={submit} noValidate>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" value={invite.email} readOnly />
        </label>
        <label>
          Your name
          <input name="name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="new-password" required minLength={MIN_PASSWORD_LENGTH} value={password} onChange={(e) => setPassword(e.target.value)} />
          <span className="sf-auth-hint">At least {MIN_PASSWORD_LENGTH} characters.</span>
        </label>
        {error ? (
          <p className="sf-auth-error" role="alert">
            {error}
          </p>
        ) : null}
        <button className="sf-auth-submit" type="submit" disabled={busy || !name || !password}>
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
      </form>
    </AuthCard>
  );
}
