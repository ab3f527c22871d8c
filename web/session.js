// The end of a session, wherever it is noticed.

import { state, go, isPublicRoute } from './state.js';
import { stopLive } from './live.js';

export function signedOut() {
  state.me = null;
  stopLive();
  if (!isPublicRoute()) go('#/login');
}
