// The web API: JSON both ways, same-origin credentials, one error type.

let unauthorized = () => {};

/** Sets what happens when the server says the session is gone. */
export function onUnauthorized(handler) {
  unauthorized = handler;
}

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `request failed (${status})`);
    this.status = status;
    this.code = body && body.code;
    this.field = body && body.field;
  }
}

/** Calls the web API; a 401 also tells the page the session is gone. */
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(`/web/api/${path}`, init);
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401) unauthorized();
    throw err;
  }
  return data;
}
