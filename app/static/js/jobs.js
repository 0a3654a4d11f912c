import { api, toast, t as word } from './api.js';
import { on } from './live.js';

// Resolved by the event stream when a job ends (job.finished), so a run is followed without polling.
const waiting = new Map();
on('job.finished', (data) => {
  (waiting.get(data.job) || []).forEach((resolve) => resolve());
  waiting.delete(data.job);
});
const finishedOr = (job, ms) => new Promise((resolve) => {
  waiting.set(job, [...(waiting.get(job) || []), resolve]);
  setTimeout(resolve, ms);
});

// The newest run's start time as the server wrote it (never the browser's clock, which may differ).
async function lastStart(job) {
  const { jobs } = await api('GET', '/api/jobs', undefined, { quiet: true });
  return jobs.find((j) => j.id === job)?.last_run?.started_at || '';
}

// Read the jobs list each time the job ends (job.finished on the stream; every 5 s while the stream is down)
// until a run newer than `before` (a server time) has ended.
async function waitForRun(job, before) {
  for (let i = 0; i < 720; i += 1) {
    // listen before reading, so an end that comes in between is not missed
    const ended = finishedOr(job, document.documentElement.dataset.live === 'open' ? 60000 : 5000);
    const { jobs } = await api('GET', '/api/jobs', undefined, { quiet: true });
    const row = jobs.find((j) => j.id === job);
    const run = row?.last_run;
    if (run && run.started_at !== before && run.status !== 'running') return run;
    await ended;
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
