import { useCallback, useEffect, useState } from 'react';
import type { Me } from '@studioflow/runtime/graph';
import { fetchMe, signOut as postSignOut } from './session';

export interface Session {
  /** The signed-in account; null when nobody is signed in. */
  me: Me | null;
  /** True until the first `GET /api/v1/me` answers. */
  loading: boolean;
  /** Why the session could not be read (network, server), not "signed out". */
  error: string | null;
  /** After a sign-in (the SignIn component's `onSignedIn`). */
  setMe: (me: Me | null) => void;
  /** Reads `/me` again, e.g. for a fresh credit balance. */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

/** Who is signed in to this app, loaded once at mount. */
export function useSession(): Session {
  const [me, setMe] = useState<Me | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setMe(await fetchMe());
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const signOut = useCallback(async () => {
    // Signed out on this page whatever the server says: the cookies are cleared by the answer, if any.
    await postSignOut().catch(() => undefined);
    setMe(null);
  }, []);

  return { me, loading, error, setMe, refresh, signOut };
}
