// The Followed series page: follow by TheTVDB id, import Sonarr's monitored series, search now, stop following.
import { api, confirmDialog, toastAfterReload } from './api.js';

const form = document.getElementById('follow-add');
if (form) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const tvdbId = Number(form.elements.tvdb_id.value);
    try {
      const follow = await api('POST', '/api/follows', { tvdb_id: tvdbId });
      toastAfterReload(follow.title);
      window.location.reload();
    } catch {
      // the fetch wrapper already showed the error
    }
  });
}

const sonarr = document.getElementById('follows-import-sonarr');
if (sonarr) {
  sonarr.addEventListener('click', async () => {
    sonarr.disabled = true;
    try {
      const result = await api('POST', '/api/follows/import/sonarr', {});
      toastAfterReload(sonarr.dataset.doneText.replace('{added}', result.added));
      window.location.reload();
    } catch {
      sonarr.disabled = false;
    }
  });
}

document.querySelectorAll('[data-check]').forEach((button) => {
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const result = await api('POST', `/api/follows/${encodeURIComponent(button.dataset.check)}/check`, {});
      toastAfterReload(button.dataset.doneText.replace('{due}', result.due).replace('{grabbed}', result.grabbed));
      window.location.reload();
    } catch {
      button.disabled = false;
    }
  });
});

document.querySelectorAll('[data-unfollow]').forEach((button) => {
  button.addEventListener('click', async () => {
    const answer = await confirmDialog({ title: button.dataset.confirmText, body: '',
      actions: [{ value: 'stop', label: button.textContent.trim(), kind: 'danger' }] });
    if (answer !== 'stop') return;
    try {
      await api('DELETE', `/api/follows/${encodeURIComponent(button.dataset.unfollow)}`);
      window.location.reload();
    } catch {
      // shown by the fetch wrapper
    }
  });
});

document.querySelectorAll('form[data-settings]').forEach((settings) => {
  settings.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = {
      audio: [...settings.querySelectorAll('input[name=audio]:checked')].map((box) => box.value),
      min_resolution: settings.elements.min_resolution.value, max_resolution: settings.elements.max_resolution.value,
      min_score: Number(settings.elements.min_score.value), codec: settings.elements.codec.value,
      mode: settings.elements.mode.value,
    };
    try {
      await api('PUT', `/api/follows/${encodeURIComponent(settings.dataset.settings)}`, body);
      window.location.reload();
    } catch {
      // the fetch wrapper showed which value is refused
    }
  });
});
