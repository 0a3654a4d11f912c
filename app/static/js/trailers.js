// The one trailer modal and the trailer buttons of every page.
// Open: window.dispatchEvent(new CustomEvent('openTrailerSearch', {detail: {media_type, external_id, title, year,
// sourceModalId}})). On close it emits 'trailerStatusUpdated' {media_type, external_id, status}; every
// .search-trailer-btn, .find-and-play-trailer-btn and .find-trailer-from-map-btn recolours itself.
import { api, t, toast } from './api.js';

const modalEl = document.getElementById('trailer-modal');
const BUTTONS = '.search-trailer-btn, .find-and-play-trailer-btn, .find-trailer-from-map-btn';
const COLOURS = { LOCKED: 'btn-success', UNLOCKED: 'btn-warning', NONE: 'btn-outline-secondary' };

export function trailerKey(mediaType, externalId) { return `${mediaType}_${externalId}`; }

// A trailer button for a media ({media_type: movie|tv, tmdb_id, tvdb_id, title, year}): movies by their TMDB
// id, shows by their TVDB id; null when the media has not that id. `kind` is one of the three classes.
export function trailerButtonFor(media, kind, { withText = false } = {}) {
  const type = media.media_type === 'movie' ? 'movie' : 'tv';
  const externalId = type === 'movie' ? media.tmdb_id : media.tvdb_id;
  if (!externalId) return null;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `btn btn-sm btn-outline-secondary ${kind}`;
  const icon = Object.assign(document.createElement('i'), { className: 'bi bi-film' });
  icon.setAttribute('aria-hidden', 'true');
  const label = Object.assign(document.createElement('span'), { className: withText ? 'ms-1' : 'visually-hidden',
    textContent: withText ? t('words', 'trailer') : `${t('words', 'trailer')} ${media.title || ''}` });
  button.append(icon, label);
  Object.assign(button.dataset, { mediaType: type, externalId, title: media.title || '', year: media.year ?? '' });
  return button;
}

function paint(button, status) {
  Object.values(COLOURS).forEach((c) => button.classList.remove(c));
  button.classList.add(COLOURS[status] || COLOURS.NONE);
  button.dataset.trailerStatus = status;
}

// Colour every trailer button under `root` from the server's statuses (one request).
export async function colourTrailerButtons(root = document) {
  const buttons = [...root.querySelectorAll(BUTTONS)].filter((b) => b.dataset.externalId);
  if (!buttons.length) return;
  const keys = [...new Set(buttons.map((b) => trailerKey(b.dataset.mediaType, b.dataset.externalId)))];
  const data = await api('POST', '/api/trailers/statuses', { keys }, { quiet: true }).catch(() => null);
  if (!data) return;
  buttons.forEach((b) => paint(b, data.statuses[trailerKey(b.dataset.mediaType, b.dataset.externalId)]?.status || 'NONE'));
}

window.addEventListener('trailerStatusUpdated', (event) => {
  const { media_type: type, external_id: id, status } = event.detail;
  document.querySelectorAll(BUTTONS).forEach((b) => {
    if (b.dataset.mediaType === type && String(b.dataset.externalId) === String(id)) paint(b, status);
  });
});

// any trailer button opens the modal for its media
document.addEventListener('click', (event) => {
  const button = event.target.closest(BUTTONS);
  if (!button || !button.dataset.externalId) return;
  event.preventDefault();
  event.stopPropagation();
  window.dispatchEvent(new CustomEvent('openTrailerSearch', { detail: {
    media_type: button.dataset.mediaType, external_id: Number(button.dataset.externalId), title: button.dataset.title || '',
    year: button.dataset.year ? Number(button.dataset.year) : null, sourceModalId: button.closest('.modal')?.id || null } }));
});

if (modalEl) {
  const TEXT = JSON.parse(modalEl.dataset.text);
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const node = Object.assign(document.createElement(tag), props);
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  };
  const modal = () => window.bootstrap.Modal.getOrCreateInstance(modalEl);
  let media = null;
  let status = 'NONE';
  let sourceModal = null;

  const minutes = (s) => (s ? `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}` : '');
  const body = () => ({ media_type: media.media_type, external_id: media.external_id, title: media.title, year: media.year });

  function preview(videoId) {
    const player = $('trailer-player');
    player.replaceChildren(el('iframe', { src: `https://www.youtube-nocookie.com/embed/${videoId}?autoplay=1`,
      title: TEXT.preview, allow: 'autoplay; encrypted-media; picture-in-picture', allowFullscreen: true }));
    player.classList.remove('d-none');
  }

  function showStatus(newStatus, download) {
    status = newStatus;
    const badge = $('trailer-status');
    badge.className = `badge ${{ LOCKED: 'text-bg-success', UNLOCKED: 'text-bg-warning', NONE: 'text-bg-secondary' }[status]}`;
    badge.textContent = TEXT[status];
    badge.dataset.status = status;
    $('trailer-disk').textContent = status === 'LOCKED' ? (download?.state === 'done' ? TEXT.onDisk : TEXT.notOnDisk) : '';
  }

  function videoRow(video, { locked = false } = {}) {
    const thumb = video.thumbnail_url ? el('img', { src: video.thumbnail_url, alt: '', className: 'mms-trailer-thumb', loading: 'lazy' }) : null;
    const language = el('span', { className: 'badge text-bg-info', textContent: TEXT[video.language] || TEXT.unknown });
    const info = el('div', { className: 'flex-grow-1 small' },
      el('div', { className: 'fw-semibold text-break', textContent: video.title }),
      el('div', { className: 'text-body-secondary', textContent: [video.channel, minutes(video.duration_s)].filter(Boolean).join(' · ') }),
      el('div', { className: 'd-flex flex-wrap gap-1 mt-1' }, language,
        video.score != null ? el('span', { className: 'badge text-bg-dark border', textContent: `${video.score}` }) : null,
        ...Object.entries(video.score_parts || {}).filter(([, v]) => v).map(([k, v]) => el('span', {
          className: `badge ${v > 0 ? 'text-bg-success' : 'text-bg-danger'} bg-opacity-75`, textContent: `${TEXT.parts[k] || k} ${v > 0 ? '+' : ''}${v}` }))));
    const actions = el('div', { className: 'd-flex flex-column gap-1' });
    const play = el('button', { type: 'button', className: 'btn btn-sm btn-outline-light', textContent: TEXT.preview });
    play.addEventListener('click', () => preview(video.video_id));
    actions.append(play);
    if (locked) {
      const unlock = el('button', { type: 'button', className: 'btn btn-sm btn-outline-danger', id: 'trailer-unlock', textContent: '✕' });
      unlock.setAttribute('aria-label', TEXT.unlocked);
      unlock.addEventListener('click', doUnlock);
      const download = el('button', { type: 'button', className: 'btn btn-sm btn-outline-warning', id: 'trailer-download', textContent: '⤓' });
      download.setAttribute('aria-label', TEXT.downloading);
      download.addEventListener('click', doDownload);
      actions.append(unlock, download);
    } else {
      const lock = el('button', { type: 'button', className: 'btn btn-sm btn-primary', textContent: TEXT.lock });
      lock.dataset.lock = video.video_id;
      lock.addEventListener('click', () => doLock({ video_id: video.video_id }));
      actions.append(lock);
    }
    const row = el(locked ? 'div' : 'li', { className: `${locked ? 'card card-body' : 'list-group-item'} d-flex gap-2 align-items-start` }, thumb, info, actions);
    row.dataset.videoId = video.video_id;
    return row;
  }

  function showLocked(locked) {
    $('trailer-locked').replaceChildren(...(locked ? [videoRow(locked, { locked: true })] : []));
  }

  function showCandidates(candidates) {
    const list = $('trailer-candidates');
    list.replaceChildren(...(candidates.length ? candidates.map((c) => videoRow(c))
      : [el('li', { className: 'list-group-item small text-body-secondary', textContent: TEXT.noCandidate })]));
  }

  async function search() {
    $('trailer-message').textContent = TEXT.searching;
    $('trailer-candidates').replaceChildren();
    const data = await api('POST', '/api/trailers/candidates', body()).catch(() => null);
    $('trailer-message').textContent = data ? data.errors.join(' · ') : '';
    if (!data) return;
    showStatus(data.status, null);
    showCandidates(data.candidates);
  }

  async function doLock(choice) {
    const data = await api('POST', '/api/trailers/lock', { ...body(), ...choice }).catch(() => null);
    if (!data) return;
    showStatus('LOCKED', null);
    showLocked(data.locked);
    toast(TEXT.locked, 'success');
  }

  async function doUnlock() {
    const data = await api('POST', '/api/trailers/unlock', body()).catch(() => null);
    if (!data) return;
    showStatus(data.status, null);
    showLocked(null);
    toast(TEXT.unlocked, 'success');
  }

  function showProgress(progress) {
    const bar = $('trailer-progress');
    bar.classList.toggle('d-none', progress === null);
    if (!progress) return;
    const pct = progress.total ? Math.min(100, Math.round((progress.done / progress.total) * 100)) : (progress.state === 'done' ? 100 : 5);
    bar.querySelector('.progress-bar').style.width = `${pct}%`;
    bar.setAttribute('aria-valuenow', String(pct));
    bar.dataset.state = progress.state;
  }

  async function followDownload(key) {
    const progress = await api('GET', `/api/trailers/download/${key}`, undefined, { quiet: true }).catch(() => null);
    if (!progress) return;
    showProgress(progress);
    if (progress.state === 'running') { setTimeout(() => followDownload(key), 500); return; }
    const button = $('trailer-download');
    if (button) button.disabled = false;
    $('trailer-message').textContent = '';
    if (progress.state === 'failed') { toast(progress.error); return; }
    const entry = progress.entry;
    showStatus('LOCKED', entry.download);
    toast(`${TEXT.downloaded.replace('{path}', entry.download.path)}${entry.extras?.length ? ` ${TEXT.extras}` : ''}`, 'success');
  }

  async function doDownload() {
    $('trailer-message').textContent = TEXT.downloading;
    const button = $('trailer-download');
    if (button) button.disabled = true;
    const started = await api('POST', '/api/trailers/download', body()).catch(() => null);
    if (!started) { if (button) button.disabled = false; $('trailer-message').textContent = ''; return; }
    showProgress(started);
    followDownload(started.key);
  }

  $('trailer-search').addEventListener('click', search);
  $('trailer-link-preview').addEventListener('click', () => {
    const match = $('trailer-link').value.match(/(?:v=|youtu\.be\/|embed\/|shorts\/)([A-Za-z0-9_-]{11})/);
    if (match) preview(match[1]);
  });
  $('trailer-link-form').addEventListener('submit', (event) => {
    event.preventDefault();
    if ($('trailer-link').value.trim()) doLock({ link: $('trailer-link').value.trim() });
  });

  window.addEventListener('openTrailerSearch', async (event) => {
    media = { ...event.detail };
    // a fresh state at each opening
    $('trailer-title').textContent = `${media.title || ''}${media.year ? ` (${media.year})` : ''}`;
    ['trailer-locked', 'trailer-candidates', 'trailer-player'].forEach((id) => $(id).replaceChildren());
    showProgress(null);
    $('trailer-player').classList.add('d-none');
    $('trailer-link').value = '';
    $('trailer-message').textContent = '';
    showStatus('NONE', null);
    sourceModal = media.sourceModalId ? document.getElementById(media.sourceModalId) : null;
    const open = () => modal().show();
    if (sourceModal && sourceModal.classList.contains('show')) {
      sourceModal.dataset.suspended = 'true';  // its owner keeps its state: it comes back after this one
      sourceModal.addEventListener('hidden.bs.modal', open, { once: true });
      window.bootstrap.Modal.getOrCreateInstance(sourceModal).hide();
    } else {
      open();
    }
    const info = await api('POST', '/api/trailers/info', body()).catch(() => null);
    if (!info) return;
    showStatus(info.status, info.download);
    showLocked(info.locked);
    if (info.candidates.length) showCandidates(info.candidates); else search();
  });

  modalEl.addEventListener('hidden.bs.modal', () => {
    $('trailer-player').replaceChildren();  // stops the preview
    if (media) window.dispatchEvent(new CustomEvent('trailerStatusUpdated', { detail: { media_type: media.media_type, external_id: media.external_id, status } }));
    if (sourceModal) {
      const back = sourceModal;
      sourceModal = null;
      back.addEventListener('shown.bs.modal', () => { delete back.dataset.suspended; }, { once: true });
      window.bootstrap.Modal.getOrCreateInstance(back).show();
    }
  });
}

window.MMS = { ...(window.MMS || {}), colourTrailerButtons };
document.addEventListener('DOMContentLoaded', () => colourTrailerButtons());
