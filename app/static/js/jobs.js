import { api, toast } from './api.js';

// Poll the jobs list until the run started after `since` has ended, then refresh the page.
async function waitForRun(job, since) {
  for (let i = 0; i < 600; i += 1) {
    const { jobs } = await api('GET', '/api/jobs', undefined, { quiet: true });
    const row = jobs.find((j) => j.id === job);
    const run = row?.last_run;
    if (run && run.started_at > since && run.status !== 'running') return run;
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
  }
  return null;
}

document.querySelectorAll('[data-run-job]').forEach((button) => {
  button.addEventListener('click', async () => {
    const job = button.dataset.runJob;
    const since = new Date().toISOString();
    button.disabled = true;
    try {
      await api('POST', `/api/jobs/${encodeURIComponent(job)}/run`);
      toast(button.dataset.startedText, 'info');
      const run = await waitForRun(job, since.replace('Z', '+00:00'));
      if (run) toast(`${job}: ${run.status} ${run.result || run.error || ''}`, run.status === 'ok' ? 'success' : run.status === 'partial' ? 'warning' : 'danger');
      window.location.reload();
    } catch {
      button.disabled = false;
    }
  });
});
