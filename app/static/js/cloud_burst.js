// Cloud burst: the start dialog with its cost estimate, and a run's page (live while the run goes on,
// claim token, "Plex is stopped", cancel).
import { api, confirmDialog, toastAfterReload } from './api.js';
import { on } from './live.js';

const form = document.getElementById('burst-form');
if (form) {
  const estimate = document.getElementById('burst-estimate');
  const price = async () => {
    const params = new URLSearchParams({ provider: form.elements.provider.value, hours: form.elements.planned_hours.value });
    try {
      const e = await api('GET', `/api/cloud-burst/estimate?${params}`, undefined, { quiet: true });
      estimate.textContent = estimate.dataset.text.replace('{hourly}', e.hourly.toFixed(3))
        .replace('{hours}', e.hours).replace('{total}', e.estimate.toFixed(2));
      estimate.classList.remove('text-warning');
    } catch (error) {
      estimate.textContent = error.message;
      estimate.classList.add('text-warning');
    }
  };
  form.elements.provider.addEventListener('change', price);
  form.elements.planned_hours.addEventListener('change', price);
  document.getElementById('burst-start').addEventListener('show.bs.modal', price);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const sections = [...form.querySelectorAll('input[name=sections]:checked')].map((box) => Number(box.value));
    try {
      const run = await api('POST', '/api/cloud-burst/runs', {
        mode: form.elements.mode.value, provider: form.elements.provider.value, sections,
        planned_hours: Number(form.elements.planned_hours.value),
      });
      window.location.assign(`/cloud-burst/runs/${encodeURIComponent(run.id)}`);
    } catch {
      // the fetch wrapper already showed the error
    }
  });
}

const page = document.getElementById('burst-run');
if (page) {
  const id = encodeURIComponent(page.dataset.run);
  const finished = ['done', 'failed', 'cancelled'];
  const seen = page.dataset.signature;
  const poll = async () => {
    try {
      const run = await api('GET', `/api/cloud-burst/runs/${id}`, undefined, { quiet: true });
      const signature = `${run.state}|${run.waiting_for ?? ''}|${run.log.length}|${run.destroyed_at ?? ''}`;
      if (signature !== seen && document.activeElement?.id !== 'claim-token') {
        window.location.reload();
        return;
      }
      if (finished.includes(run.state) && run.destroyed_at !== null) return;
    } catch {
      // try again at the next tick
    }
    if (document.documentElement.dataset.live !== 'open') window.setTimeout(poll, 5000);  // the stream is down
  };
  // each change of the run arrives on the event stream (cloud_burst.run); the timer only while it is down
  if (!finished.includes(page.dataset.state) || document.querySelector('.alert-warning')) {
    on('cloud_burst.run', (data) => { if (data.id === page.dataset.run) poll(); });
    window.setTimeout(poll, 5000);
  }

  const cancel = document.getElementById('burst-cancel');
  cancel?.addEventListener('click', async () => {
    const answer = await confirmDialog({ title: cancel.textContent, body: cancel.dataset.confirm,
      actions: [{ label: cancel.textContent, kind: 'danger', value: 'cancel' }] });
    if (answer !== 'cancel') return;
    try {
      await api('POST', `/api/cloud-burst/runs/${id}/cancel`, {});
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
  const claim = document.getElementById('burst-claim');
  claim?.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('POST', `/api/cloud-burst/runs/${id}/claim`, { token: claim.elements.token.value.trim() });
      window.location.reload();
    } catch {
      // shown by the wrapper
    }
  });
  const stopped = document.getElementById('burst-stopped');
  stopped?.addEventListener('click', async () => {
    stopped.disabled = true;
    try {
      await api('POST', `/api/cloud-burst/runs/${id}/plex-stopped`, {});
      toastAfterReload(stopped.textContent);
      window.location.reload();
    } catch {
      stopped.disabled = false;
    }
  });
}
