import type { ReactNode } from 'react';
import type { Me } from '@studioflow/runtime/graph';
import { inviteTokenFromLocation } from './accounts';
import { AcceptInvite } from './AcceptInvite';
import { AuthCard, SignIn, type AppName } from './SignIn';
import { useSession, type Session } from './useSession';

/**
 * What both apps show before their own screens: the accept-invite page for an invitation link, the
 * sign-in page when nobody is signed in, else `children(me, session)`.
 */
export function SessionGate({ app, children }: { app: AppName; children: (me: Me, session: Session) => ReactNode }) {
  const session = useSession();
  const inviteToken = inviteTokenFromLocation();
  if (session.loading) return null;
  if (session.error && !session.me) return <AuthCard app={app} title="Studioflow is not answering" lead="Reload the page in a moment." />;
  if (!session.me) {
    return inviteToken ? <AcceptInvite app={app} token={inviteToken} onSignedIn={session.setMe} /> : <SignIn app={app} onSignedIn={session.setMe} />;
  }
  return <>{children(session.me, session)}</>;
}
