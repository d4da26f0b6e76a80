import { useState, type FormEvent, type ReactNode } from 'react';
import { MIN_PASSWORD_LENGTH, type Me } from '@studioflow/runtime/graph';
import { signUp } from './accounts';
import { HttpError, signIn } from './session';
import './sign-in.css';

export type AppName = 'seller' | 'reviewer';

const APP_TITLES: Record<AppName, string> = { seller: 'Shoot app', reviewer: 'Review console' };

/** The API's lower-case message as a sentence. */
export function sentence(message: string): string {
  const text = message.trim();
  return text ? `${text[0].toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? '' : '.'}` : text;
}

/** A message a person can act on, from an API error. */
export function describeError(err: unknown): string {
  if (err instanceof HttpError) {
    if (err.status === 401) return 'Wrong email or password.';
    if (err.status === 429) return 'Too many attempts. Wait a few minutes, then try again.';
    if (err.status === 409) return 'An account with this email exists already. Sign in instead.';
    if (err.status >= 500) return 'Studioflow is not answering right now. Try again in a moment.';
    return sentence(err.message);
  }
  return 'Cannot reach Studioflow. Check your connection and try again.';
}

/** The card every sign-in page shares: the brand, the app's name, a title and a lead line. */
export function AuthCard({ app, title, lead, children }: { app: AppName; title: string; lead?: ReactNode; children?: ReactNode }) {
  return (
    <main className="sf-auth">
      <section className="sf-auth-card" aria-labelledby="sf-auth-title">
        <div className="sf-auth-brand">
          <span className="sf-auth-mark" aria-hidden="true" />
          <span>
            Studioflow
            <small>{APP_TITLES[app]}</small>
          </span>
        </div>
        <h1 id="sf-auth-title">{title}</h1>
        {lead ? <p className="sf-auth-lead">{lead}</p> : null}
        {children}
      </section>
    </main>
  );
}

/**
 * Sign-in for the shoot app and the review console; the shoot app also offers "create a shop"
 * (sign-up). Calls `onSignedIn` with the account once the session cookies are set.
 */
export function SignIn({ app, onSignedIn }: { app: AppName; onSignedIn: (me: Me) => void }) {
  const [mode, setMode] = useState<'sign-in' | 'sign-up'>('sign-in');
  return mode === 'sign-up' && app === 'seller' ? (
    <SignUpForm onSignedIn={onSignedIn} onBack={() => setMode('sign-in')} />
  ) : (
    <SignInForm app={app} onSignedIn={onSignedIn} onCreateShop={app === 'seller' ? () => setMode('sign-up') : undefined} />
  );
}

function SignInForm({ app, onSignedIn, onCreateShop }: { app: AppName; onSignedIn: (me: Me) => void; onCreateShop?: () => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(email, password));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthCard
      app={app}
      title="Sign in"
      lead={app === 'seller' ? 'Studio shots of your products, from your phone.' : 'Approve the shots waiting for review.'}
    >
      <form onSubmit={submit} noValidate>
        <label>
          Email
          <input type="email" name="email" autoComplete="username" inputMode="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error ? (
          <p className="sf-auth-error" role="alert">
            {error}
          </p>
        ) : null}
        <button className="sf-auth-submit" type="submit" disabled={busy || !email || !password}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="sf-auth-switch">
        {onCreateShop ? (
          <>
            New to Studioflow?{' '}
            <button type="button" className="sf-auth-link" onClick={onCreateShop}>
              Create a shop
            </button>
          </>
        ) : (
          'Reviewers join by an invitation from their studio.'
        )}
      </p>
    </AuthCard>
  );
}

function SignUpForm({ onSignedIn, onBack }: { onSignedIn: (me: Me) => void; onBack: () => void }) {
  const [form, setForm] = useState({ name: '', shopName: '', email: '', password: '' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (field: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [field]: e.target.value });

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (form.password.length < MIN_PASSWORD_LENGTH) return setError(`Choose a password of at least ${MIN_PASSWORD_LENGTH} characters.`);
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signUp(form));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <AuthCard app="seller" title="Create your shop" lead="Your shop starts with free credits for its first shoots.">
      <form onSubmit={submit} noValidate>
        <label>
          Your name
          <input name="name" autoComplete="name" required value={form.name} onChange={set('name')} />
        </label>
        <label>
          Shop name
          <input name="shopName" autoComplete="organization" required value={form.shopName} onChange={set('shopName')} />
        </label>
        <label>
          Email
          <input type="email" name="email" autoComplete="email" inputMode="email" required value={form.email} onChange={set('email')} />
        </label>
        <label>
          Password
          <input type="password" name="password" autoComplete="new-password" required minLength={MIN_PASSWORD_LENGTH} value={form.password} onChange={set('password')} />
          <span className="sf-auth-hint">At least {MIN_PASSWORD_LENGTH} characters.</span>
        </label>
        {error ? (
          <p className="sf-auth-error" role="alert">
            {error}
          </p>
        ) : null}
        <button className="sf-auth-submit" type="submit" disabled={busy || !form.name || !form.shopName || !form.email || !form.password}>
          {busy ? 'Creating your shop…' : 'Create shop'}
        </button>
      </form>
      <p className="sf-auth-switch">
        Have an account?{' '}
        <button type="button" className="sf-auth-link" onClick={onBack}>
          Sign in
        </button>
      </p>
    </AuthCard>
  );
}
