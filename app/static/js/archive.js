// The archive page: while a sync runs, its progress is read every two seconds; the page reloads when it ends.
import { api } from './api.js';

const box = document.getElementById('archive-progress');
if (box) {
  const bar = box.querySelector('progress');
  const text = document.getElementById('archive-progress-text');
  const timer = window.setInterval(async () => {
    let run;
    try {
      run = await api('GET', '/api/archive/progress', undefined, { quiet: true });
    } catch {
      return; // tried again at the next tick
    }
    if (!run || run.finished) {
      window.clearInterval(timer);
      window.location.reload();
      return;
    }
    bar.max = run.total || 1;
    bar.value = run.done;
    text.textContent = text.textContent.replace(/[\d\s  .,]+\/[\d\s  .,]+/, ` ${run.done} / ${run.total} `);
  }, 2000);
}
