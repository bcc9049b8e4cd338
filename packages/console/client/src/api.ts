/**
 * Calls to the console's own API. A 401 means the console runs with a
 * token and this browser has no session yet: the sign-in prompt asks for
 * it once, then the view asks again.
 */
export class Unauthorized extends Error {
  override readonly name = 'Unauthorized';
}

export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    const message =
      body !== null && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string'
        ? (body as { message: string }).message
        : `HTTP ${status}`;
    super(message);
    this.status = status;
    this.body = body;
  }
}

export interface Answer<T> {
  status: number;
  body: T;
}

/** Any status resolves, except 401 (the prompt) and a network failure. */
export async function call<T = unknown>(path: string, init: RequestInit = {}): Promise<Answer<T>> {
  const res = await fetch(path, {
    ...init,
    credentials: 'same-origin',
    headers: {
      Accept: 'application/json',
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      ...(init.headers as Record<string, string> | undefined),
    },
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy's page; callers show the status.
  }
  if (res.status === 401) throw new Unauthorized(typeof body === 'object' ? new ApiFailure(401, body).message : '');
  return { status: res.status, body: body as T };
}

/** A 2xx answer's body, or an ApiFailure. */
export async function getJson<T>(path: string): Promise<T> {
  const answer = await call<T>(path);
  if (answer.status < 200 || answer.status >= 300) throw new ApiFailure(answer.status, answer.body);
  return answer.body;
}
