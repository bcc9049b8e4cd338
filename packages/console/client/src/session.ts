/**
 * The signed-in person's session: the short-lived ServiceAccount token the
 * logins API made, kept in this tab's sessionStorage (gone when the tab
 * closes; never a cookie, so it never rides along on a request by itself)
 * and dropped once it has expired. The console server forwards it to
 * kube-apiserver in the X-User-Token header; only RBAC decides what loads.
 */
const KEY = 'cnpaas-console-person';

export interface Session {
  token: string;
  expirationTimestamp: string;
  user: { namespace: string; name: string };
  tenant: string;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function currentSession(): Session | undefined {
  const text = sessionStorage.getItem(KEY);
  if (!text) return undefined;
  try {
    const session = JSON.parse(text) as Session;
    if (Date.parse(session.expirationTimestamp) > Date.now()) return session;
  } catch {
    // Not ours: forget it.
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

export function endSession(): void {
  sessionStorage.removeItem(KEY);
}

export function personHeaders(session: Session): Record<string, string> {
  return { 'X-User-Token': session.token };
}
