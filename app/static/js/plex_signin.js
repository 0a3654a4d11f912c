// Sign in with Plex (login page) or link a Plex account (My account): ask MMS for a PIN, open Plex's page
// for it, then ask MMS about once a second whether the user accepted there (at most 10 minutes).
import { api } from './api.js';

const button = document.getElementById('plex-signin');
const state = document.getElementById('plex-state');
const pause = (ms) => new Promise((resolve) => { window.setTimeout(resolve, ms); });

button?.addEventListener('click', async () => {
  button.disabled = true;
  const popup = window.open('about:blank', 'plex-auth', 'width=800,height=700');
  try {
    const pin = await api('POST', button.dataset.start, {});
    if (popup) popup.location.href = pin.url; else window.open(pin.url, 'plex-auth');
    state.textContent = button.dataset.waiting;
    const deadline = Date.now() + 10 * 60 * 1000;
    while (Date.now() < deadline) {
      await pause(1000);
      const answer = await api('POST', button.dataset.check.replace('{id}', pin.id), {});
      if (answer.done) {
        popup?.close();
        if (answer.next) window.location.assign(answer.next); else window.location.reload();
        return;
      }
    }
  } catch {
    popup?.close();
  }
  button.disabled = false;
});
