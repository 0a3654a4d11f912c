// The one live update stream (/api/events, server-sent events): every page of a signed-in user opens it once.
// Pages listen with on(kind, fn) (kinds: pipeline.added, pipeline.state, pipeline.progress, job.started,
// job.finished, health.progress, health.finished, cloud_burst.run, request.changed...); a 'reset' means events
// were lost (MMS restarted): listeners of '*' reload their data. Notifications arrive as toasts. The browser
// reconnects by itself and resumes from the last event id (EventSource sends Last-Event-ID).
import { toast } from './api.js';

const listeners = new Map();
let source = null;

function dispatch(kind, data) {
  for (const fn of listeners.get(kind) || []) fn(data, kind);
  for (const fn of listeners.get('*') || []) fn(data, kind);
}

function listen(kind) {
  source.addEventListener(kind, (message) => {
    let data = {};
    try { data = JSON.parse(message.data); } catch { /* an empty or broken frame: no data */ }
    dispatch(kind, data);
  });
}

export function connect() {
  if (source || typeof EventSource === 'undefined') return source;
  source = new EventSource('/api/events');
  document.documentElement.dataset.live = 'connecting';
  source.addEventListener('open', () => { document.documentElement.dataset.live = 'open'; });
  source.addEventListener('error', () => { document.documentElement.dataset.live = 'reconnecting'; });
  for (const kind of listeners.keys()) if (kind !== '*') listen(kind);
  listen('reset');
  source.addEventListener('toast', (message) => {
    try {
      const data = JSON.parse(message.data);
      toast(`${data.title} — ${data.text}`, /failed|problem|drop/.test(data.event) ? 'danger' : 'success');
      dispatch('toast', data);
    } catch { /* not JSON: ignored */ }
  });
  return source;
}

// Call fn(data, kind) on each event of `kind` ('*': every event, including 'reset').
export function on(kind, fn) {
  const known = listeners.has(kind);
  if (!known) listeners.set(kind, []);
  listeners.get(kind).push(fn);
  if (source && !known && kind !== '*' && kind !== 'toast') listen(kind);
}

// Call fn at most once per `ms` milliseconds however many events ask for it (a list refresh).
export function throttled(fn, ms = 500) {
  let timer = null;
  let again = false;
  return () => {
    if (timer) { again = true; return; }
    fn();
    timer = setTimeout(() => { timer = null; if (again) { again = false; fn(); } }, ms);
  };
}

// Refresh with fn when one of `kinds` (or a reset) arrives, at most twice a second; while the stream is not
// open (MMS restarting, every stream slot taken), every `fallbackMs` instead.
export function follow(kinds, fn, fallbackMs = 15000) {
  const run = throttled(fn, 500);
  for (const kind of [...kinds, 'reset']) on(kind, run);
  return setInterval(() => { if (document.documentElement.dataset.live !== 'open') fn(); }, fallbackMs);
}

connect();
