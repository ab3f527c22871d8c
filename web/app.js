// agentgate's web client: plain modules, no framework. Every piece of user content goes into the
// page as text (textContent / text nodes), never as HTML. web/CONTRACT.md names the routes,
// the live protocol and the accessible names the browser tests rely on.

import { root, el } from './dom.js';
import { api, ApiError, onUnauthorized } from './api.js';
import { state, route, isPublicRoute } from './state.js';
import { signedOut } from './session.js';
import { loginScreen, signupScreen, claimScreen } from './auth.js';
import { homeScreen, refreshList } from './conversations.js';
import { startLive, stopLive } from './live.js';
import { agentsScreen } from './agents.js';
import { accountScreen } from './account.js';
import { adminScreen } from './admin.js';

// A 401 outside the sign-in screens: the session is gone.
onUnauthorized(() => {
  if (!isPublicRoute()) signedOut();
});

async function render() {
  const r = route();
  try {
    if (!state.config) state.config = await api('GET', 'config');
    if (r.name === 'login') { stopLive(); loginScreen(); return; }
    if (r.name === 'signup') { stopLive(); signupScreen(); return; }
    if (r.name === 'claim') { stopLive(); await claimScreen(r.token); return; }
    if (!state.me) state.me = await api('GET', 'me');
    startLive();
    if (r.name === 'agents') await agentsScreen();
    else if (r.name === 'account') accountScreen();
    else if (r.name === 'admin') await adminScreen();
    else await homeScreen(r.name === 'conversation' ? r.id : null);
    const main = document.getElementById('main');
    if (main && r.name !== 'conversation') main.focus({ preventScroll: true });
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return; // api() already moved to login
    root.replaceChildren(el('main', { id: 'main', class: 'page' }, el('p', { role: 'alert', class: 'alert' }, err.message)));
  }
}

window.addEventListener('hashchange', render);
clearInterval(state.listTimer);
state.listTimer = setInterval(() => {
  if (state.me && ['home', 'conversation'].includes(route().name)) refreshList().catch(() => {});
}, 20000);
render();
