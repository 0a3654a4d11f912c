import { api, toast, t as word } from './api.js';

// The newest run's start time as the server wrote it (never the browser's clock, which may differ).
async function lastStart(job) {
  const { jobs } = await api('GET', '/api/jobs', undefined, { quiet: true });
  return jobs.find((j) => j.id === job)?.last_run?.started_at || '';
}

// Poll the jobs list until a run newer than `before` (a server time) has ended.
async function waitForRun(job, before) {
  for (let i = 0; i < 600; i += 1) {
    const { jobs } = await api('GET', '/api/jobs', undefined, { quiet: true });
    const row = jobs.find((j) => j.id === job);
    const run = row?.last_run;
    if (run && run.started_at !== before && run.status !== 'running') return run;
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
  }
  return null;
}

document.querySelectorAll('[data-run-job]').forEach((button) => {
  button.addEventListener('click', async () => {
    const job = button.dataset.runJob;
    button.disabled = true;
    try {
      const before = await lastStart(job);
      await api('POST', `/api/jobs/${encodeURIComponent(job)}/run`);
      toast(button.dataset.startedText, 'info');
      const run = await waitForRun(job, before);
      if (run) toast(`${button.dataset.title || job}: ${word('run', run.status)} ${run.result_text || run.result || run.error || ''}`, run.status === 'ok' ? 'success' : run.status === 'partial' ? 'warning' : 'danger');
      window.location.reload();
    } catch {
      button.disabled = false;
    }
  });
});
