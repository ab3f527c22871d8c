// What the page holds, and where it is (the hash route).

export const state = {
  me: null,
  config: null,
  conversations: new Map(), // id → summary
  open: null, // the conversation on screen: {id, summary, messages: Map seq→message, ...}
  live: null,
  liveRetry: 0,
  listTimer: null,
  statsTimer: null,
};

export function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/');
  const [name, arg] = parts;
  if (name === 'c' && arg) return { name: 'conversation', id: decodeURIComponent(arg) };
  if (name === 'claim' && arg) return { name: 'claim', token: arg };
  if (['login', 'signup', 'agents', 'account', 'admin'].includes(name)) return { name };
  return { name: 'home' };
}

export function go(hash) {
  // The same route again re-renders it.
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

export function isPublicRoute() {
  return ['login', 'signup', 'claim'].includes(route().name);
}
