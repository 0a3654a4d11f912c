// The Plex editor: section tabs, filters kept per browser, server-side paging, grid/list, selection and
// batch actions, and the details dialog (General, Posters, Backgrounds, Fix match).
import { api, confirmDialog, localTime, size, toast } from './api.js';
import { colourTrailerButtons, trailerButtonFor } from './trailers.js';

const root = document.getElementById('plex-editor');
const TEXT = JSON.parse(root.dataset.text);
const LABELS = JSON.parse(root.dataset.fieldLabels);
const STORE_KEY = 'mms-plex-browser';
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));

const FILTERS = ['user', 'watched', 'resolution', 'audio', 'added_after', 'added_before', 'text', 'sort', 'order', 'missing'];
const FIELD_IDS = { user: 'f-user', watched: 'f-watched', resolution: 'f-resolution', audio: 'f-audio', added_after: 'f-after',
  added_before: 'f-before', text: 'f-text', sort: 'f-sort', order: 'f-order', missing: 'f-missing' };

let state = { section: null, page: 1, view: 'grid', ...JSON.parse(localStorage.getItem(STORE_KEY) || '{}') };
let sections = [];
let lastPage = null;
const selected = new Set();
let loadToken = 0;

function save() {
  localStorage.setItem(STORE_KEY, JSON.stringify(state));
}

function readFilters() {
  FILTERS.forEach((name) => {
    const input = $(FIELD_IDS[name]);
    state[name] = input.type === 'checkbox' ? input.checked : input.value;
  });
}

function writeFilters() {
  FILTERS.forEach((name) => {
    const input = $(FIELD_IDS[name]);
    if (state[name] === undefined) return;
    if (input.type === 'checkbox') input.checked = Boolean(state[name]);
    else input.value = state[name];
  });
}

function showState(kind, message = '') {
  const box = $('browser-state');
  box.replaceChildren();
  if (kind === 'loading') box.append(el('div', { className: 'spinner-border spinner-border-sm me-2', role: 'status' }), TEXT.loading);
  if (kind === 'empty') box.append(el('p', { className: 'text-body-secondary', textContent: TEXT.empty }));
  if (kind === 'error') {
    const retry = el('button', { type: 'button', className: 'btn btn-sm btn-outline-warning ms-2', textContent: TEXT.retry });
    retry.addEventListener('click', () => load());
    box.append(el('div', { className: 'alert alert-danger d-inline-block', role: 'alert' }, `${TEXT.error} ${message}`, retry));
  }
  if (kind === 'config') {
    box.append(el('div', { className: 'alert alert-warning d-inline-block' }, `${message} `,
      el('a', { href: '/configuration', textContent: TEXT.configure })));
  }
}

function renderTabs() {
  const tabs = $('section-tabs');
  tabs.replaceChildren(...sections.map((s) => {
    const button = el('button', { type: 'button', className: `nav-link${s.key === state.section ? ' active' : ''}`, textContent: s.title });
    button.dataset.section = s.key;
    button.setAttribute('role', 'tab');
    if (!s.editable) {
      button.disabled = true;
      button.append(el('span', { className: 'badge text-bg-secondary ms-1', textContent: TEXT.readOnly }));
    }
    button.addEventListener('click', () => {
      state.section = s.key;
      state.page = 1;
      selected.clear();
      renderTabs();
      load();
    });
    return el('li', { className: 'nav-item' }, button);
  }));
}

function query() {
  const params = new URLSearchParams({ section: state.section, page: state.page, page_size: 60 });
  FILTERS.forEach((name) => {
    const value = state[name];
    if (name === 'missing') { if (value) params.set('missing', 'true'); return; }
    if (value) params.set(name, value);
  });
  return params;
}

async function load({ fresh = false } = {}) {
  if (!state.section) return;
  const token = ++loadToken;
  showState('loading');
  const params = query();
  if (fresh) params.set('fresh', 'true');
  let data;
  try {
    data = await api('GET', `/api/plex-editor/items?${params}`, undefined, { quiet: true });
  } catch (err) {
    if (token !== loadToken) return;
    lastPage = null;
    $('items-grid').replaceChildren();
    $('items-list').tBodies[0].replaceChildren();
    showState('error', err.message);
    return;
  }
  if (token !== loadToken) return;
  lastPage = data;
  data.errors.forEach((e) => toast(e, 'warning'));
  const pages = Math.max(1, Math.ceil(data.total / data.page_size));
  if (state.page > pages) { state.page = pages; save(); load(); return; }
  $('result-count').textContent = fill(TEXT.total, { count: data.total });
  $('page-label').textContent = fill(TEXT.page, { page: data.page, pages });
  $('page-prev').disabled = data.page <= 1;
  $('page-next').disabled = data.page >= pages;
  showState(data.items.length ? '' : 'empty');
  render(data.items);
  if (!data.items.length && state.text) archiveFallback(state.text);
  colourTrailerButtons(root);
}

// nothing in Plex for a title: what the watch archive remembers of it (deleted media keep their history)
async function archiveFallback(text) {
  const found = await api('GET', `/api/archive/search?${new URLSearchParams({ q: text })}`, undefined, { quiet: true }).catch(() => null);
  if (!found || !found.items.length || text !== state.text) return;
  const box = el('div', { className: 'text-start', id: 'archive-fallback' },
    el('p', { className: 'small mb-1', textContent: TEXT.inArchive }));
  const list = el('ul', { className: 'list-group' });
  found.items.slice(0, 10).forEach((item) => {
    const who = item.history.map((h) => `${h.name} ×${h.plays}`).join(', ');
    list.append(el('li', { className: 'list-group-item small' },
      el('a', { href: `/archive?${new URLSearchParams({ q: item.title })}`, textContent: `${item.title}${item.year ? ` (${item.year})` : ''}` }),
      el('span', { className: 'text-body-secondary', textContent: ` — ${who}` })));
  });
  box.append(list);
  $('browser-state').append(box);
}

function resolutionBadge(item) {
  if (!item.resolution) return null;
  const text = /^\d+$/.test(item.resolution) ? `${item.resolution}p` : item.resolution.toUpperCase();
  return el('span', { className: 'badge text-bg-dark border', textContent: text });
}

function audioBadge(item) {
  const badge = el('span', { className: `badge ${item.french ? 'text-bg-primary' : 'text-bg-secondary'}`,
    textContent: item.french ? TEXT.frShort : TEXT.noFrShort, title: item.french ? TEXT.french : TEXT.noFrench });
  badge.dataset.french = String(item.french);
  return badge;
}

function watchBadge(item) {
  if (!item.watch) return null;
  const kind = { watched: 'text-bg-success', in_progress: 'text-bg-warning', unwatched: 'text-bg-light' }[item.watch];
  const badge = el('span', { className: `badge ${kind}`, textContent: TEXT[item.watch] });
  badge.dataset.watch = item.watch;
  return badge;
}

// the trailer button of an item (the global trailer modal; its colour says the status)
function trailerButton(item) {
  const button = trailerButtonFor({ media_type: item.type === 'movie' ? 'movie' : 'tv', tmdb_id: item.guids.tmdb,
    tvdb_id: item.guids.tvdb, title: item.title, year: item.year }, 'find-and-play-trailer-btn');
  button?.classList.add('mms-trailer-btn');
  return button;
}

// follow a show from its seasons: new episodes are then searched and grabbed from their air time
function followButton(show) {
  const button = el('button', { type: 'button', className: 'btn btn-sm btn-outline-info', textContent: TEXT.follow });
  button.dataset.followShow = show.tvdb_id;
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api('POST', '/api/follows', { title: show.title, year: show.year || null, tvdb_id: show.tvdb_id,
        sonarr_series_id: show.sonarr?.series_id || null });
      button.textContent = TEXT.followed;
    } catch {
      button.disabled = false; // the fetch wrapper already showed why
    }
  });
  return button;
}

function checkbox(item) {
  const box = el('input', { type: 'checkbox', className: 'form-check-input mms-select', checked: selected.has(item.rating_key) });
  box.setAttribute('aria-label', item.title);
  box.addEventListener('change', () => {
    if (box.checked) selected.add(item.rating_key); else selected.delete(item.rating_key);
    renderBulk();
  });
  return box;
}

function poster(item) {
  if (!item.image) return el('div', { className: 'mms-card-poster mms-poster-empty', textContent: TEXT.noPoster });
  return el('img', { className: 'mms-card-poster', src: item.image, alt: '', loading: 'lazy' });
}

function render(items) {
  const grid = $('items-grid');
  const body = $('items-list').tBodies[0];
  const list = state.view === 'list';
  $('items-list-box').classList.toggle('d-none', !list);
  grid.classList.toggle('d-none', list);
  $('view-grid').setAttribute('aria-pressed', String(!list));
  $('view-list').setAttribute('aria-pressed', String(list));
  if (list) {
    grid.replaceChildren();
    body.replaceChildren(...items.map((item) => {
      const open = el('button', { type: 'button', className: 'btn btn-link p-0 text-start', textContent: item.title });
      open.addEventListener('click', () => openItem(item.rating_key));
      const tr = el('tr', {},
        el('td', {}, checkbox(item)), el('td', {}, open), el('td', { textContent: item.year ?? '' }),
        el('td', {}, resolutionBadge(item)), el('td', {}, audioBadge(item)),
        el('td', { textContent: item.size ? size(item.size) : '' }),
        el('td', { className: 'small', textContent: item.added_at ? localTime(item.added_at) : '' }),
        el('td', {}, watchBadge(item)), el('td', {}, trailerButton(item)));
      tr.dataset.ratingKey = item.rating_key;
      return tr;
    }));
    return;
  }
  body.replaceChildren();
  grid.replaceChildren(...items.map((item) => {
    const open = el('button', { type: 'button', className: 'mms-card-open' }, poster(item),
      el('span', { className: 'mms-card-title', textContent: item.title }),
      el('span', { className: 'small text-body-secondary', textContent: [item.year, item.size ? size(item.size) : ''].filter(Boolean).join(' · ') }));
    open.addEventListener('click', () => openItem(item.rating_key));
    const card = el('div', { className: 'mms-card' }, el('div', { className: 'mms-card-check' }, checkbox(item)), open,
      el('div', { className: 'mms-card-badges' }, resolutionBadge(item), audioBadge(item), watchBadge(item), trailerButton(item)));
    card.dataset.ratingKey = item.rating_key;
    return card;
  }));
}

function renderBulk() {
  $('bulk-bar').classList.toggle('d-none', selected.size === 0);
  $('bulk-count').textContent = fill(TEXT.selected, { count: selected.size });
  const action = $('bulk-action').value;
  $('bulk-value-box').classList.toggle('d-none', !/_(label|collection)$/.test(action));
  $('bulk-fields-box').classList.toggle('d-none', !['lock', 'unlock'].includes(action));
  const boxes = [...document.querySelectorAll('.mms-select')];
  $('select-page').checked = boxes.length > 0 && boxes.every((b) => b.checked);
}

// -- details dialog ------------------------------------------------------------------------------------
const modalEl = $('item-modal');
const modal = () => window.bootstrap.Modal.getOrCreateInstance(modalEl);
let current = null;

function setLock(name, locked) {
  const button = document.querySelector(`[data-lock="${name}"]`);
  if (!button) return;
  button.setAttribute('aria-pressed', String(locked));
  button.classList.toggle('btn-warning', locked);
  button.classList.toggle('btn-outline-secondary', !locked);
  button.querySelector('i').className = `bi ${locked ? 'bi-lock-fill' : 'bi-unlock'}`;
  button.title = locked ? TEXT.locked : TEXT.unlocked;
}

function showDetails(data) {
  current = data;
  $('item-title').textContent = `${data.title}${data.year ? ` (${data.year})` : ''}`;
  const media = data.media || {};
  $('item-media').textContent = [media.resolution, (media.audio_names || media.audio_languages || []).join(', '), media.size ? size(media.size) : '']
    .filter(Boolean).join(' · ');
  document.querySelectorAll('#general-form [data-field]').forEach((box) => {
    const name = box.dataset.field;
    const input = $(`field-${name}`);
    input.value = name in (data.tags || {}) ? data.tags[name].join(', ') : (data[name] ?? '');
    setLock(name, data.locked.includes(name));
  });
  $('seasons-tab-item').classList.toggle('d-none', data.type !== 'show');
  $('match-title').value = data.title;
  $('match-year').value = data.year ?? '';
  showGuids(data.guids);
}

function showGuids(guids) {
  const entries = Object.entries(guids || {});
  $('match-guids').textContent = entries.length ? entries.map(([k, v]) => `${k}: ${v}`).join(' · ') : TEXT.guidsNone;
}

async function openItem(ratingKey) {
  const data = await api('GET', `/api/plex-editor/items/${ratingKey}`).catch(() => null);
  if (!data) return;
  $('match-results').replaceChildren();
  window.bootstrap.Tab.getOrCreateInstance(document.querySelector('[data-bs-target="#tab-general"]')).show();
  showDetails(data);
  modal().show();
}

document.querySelectorAll('.mms-lock').forEach((button) => button.addEventListener('click', () => {
  setLock(button.dataset.lock, button.getAttribute('aria-pressed') !== 'true');
}));

document.querySelectorAll('[data-reset]').forEach((button) => button.addEventListener('click', async () => {
  const data = await api('POST', `/api/plex-editor/items/${current.rating_key}/reset`, { field: button.dataset.reset }).catch(() => null);
  if (!data) return;
  showDetails(data);
  toast(TEXT.reset, 'success');
}));

// a field the user changes is locked (Plex agents then keep off it); its lock button can still undo that
document.querySelectorAll('#general-form [data-field]').forEach((box) => {
  $(`field-${box.dataset.field}`).addEventListener('input', () => setLock(box.dataset.field, true));
});

$('general-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const values = {};
  const locks = {};
  const tags = {};
  document.querySelectorAll('#general-form [data-field]').forEach((box) => {
    const name = box.dataset.field;
    const input = $(`field-${name}`);
    const locked = document.querySelector(`[data-lock="${name}"]`).getAttribute('aria-pressed') === 'true';
    let changed;
    if (name in current.tags) {
      const list = input.value.split(',').map((t) => t.trim()).filter(Boolean);
      changed = list.join('\n') !== current.tags[name].join('\n');
      if (changed) tags[name] = list;
    } else {
      changed = String(current[name] ?? '') !== input.value;
      if (changed) values[name] = input.value;
    }
    if (changed || locked !== current.locked.includes(name)) locks[name] = locked;
  });
  const data = await api('PUT', `/api/plex-editor/items/${current.rating_key}`, { values, locks, tags }).catch(() => null);
  if (!data) return;
  showDetails(data);
  toast(TEXT.saved, 'success');
  load();
});

async function loadArtwork(kind, data = null) {
  const pane = document.querySelector(`[data-artwork="${kind}"] [data-art-list]`);
  const found = data || await api('GET', `/api/plex-editor/items/${current.rating_key}/artwork/${kind}`).catch(() => null);
  if (!found) return;
  pane.replaceChildren(...found.items.map((art) => {
    const button = el('button', { type: 'button', className: `mms-art${art.selected ? ' mms-art-selected' : ''}` },
      art.image ? el('img', { src: art.image, alt: '', loading: 'lazy' }) : el('span', { className: 'mms-poster-empty', textContent: TEXT.noPoster }),
      el('span', { className: 'small', textContent: art.selected ? `✔ ${TEXT.selectedImage}` : `${art.provider}` }));
    button.setAttribute('aria-pressed', String(art.selected));
    button.dataset.provider = art.provider;
    button.addEventListener('click', async () => {
      const after = await api('PUT', `/api/plex-editor/items/${current.rating_key}/artwork/${kind}`, { id: art.id }).catch(() => null);
      if (after) loadArtwork(kind, after);
    });
    return button;
  }));
}

document.querySelectorAll('[data-kind]').forEach((tab) => tab.addEventListener('shown.bs.tab', () => loadArtwork(tab.dataset.kind)));

document.querySelectorAll('[data-upload]').forEach((form) => form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const kind = form.dataset.upload;
  const file = $(`upload-file-${kind}`).files[0];
  const url = $(`upload-url-${kind}`).value.trim();
  let body;
  if (file) {
    body = new FormData();
    body.append('image', file);
  } else if (url) {
    body = { url };
  } else {
    return;
  }
  const data = await api('POST', `/api/plex-editor/items/${current.rating_key}/artwork/${kind}/upload`, body).catch(() => null);
  if (!data) return;
  form.reset();
  toast(fill(TEXT.uploaded, { w: data.uploaded.width, h: data.uploaded.height }), 'success');
  loadArtwork(kind, data);
  if (kind === 'posters') load();
}));

$('match-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const params = new URLSearchParams({ title: $('match-title').value.trim(), provider: $('match-provider').value });
  if ($('match-year').value.trim()) params.set('year', $('match-year').value.trim());
  const data = await api('GET', `/api/plex-editor/items/${current.rating_key}/matches?${params}`).catch(() => null);
  if (!data) return;
  const list = $('match-results');
  if (!data.matches.length) { list.replaceChildren(el('div', { className: 'small text-body-secondary', textContent: TEXT.noMatch })); return; }
  list.replaceChildren(...data.matches.map((m) => {
    const choose = el('button', { type: 'button', className: 'btn btn-sm btn-outline-primary ms-auto', textContent: TEXT.choose });
    choose.addEventListener('click', async () => {
      const done = await api('POST', `/api/plex-editor/items/${current.rating_key}/match`, { guid: m.guid, name: m.name }).catch(() => null);
      if (!done) return;
      showGuids(done.guids);
      toast(TEXT.matched, 'success');
      load();
    });
    const row = el('div', { className: 'list-group-item d-flex align-items-center gap-2' },
      el('span', { textContent: `${m.name}${m.year ? ` (${m.year})` : ''}` }),
      el('span', { className: 'badge text-bg-secondary', textContent: m.score ?? m.source }), choose);
    row.dataset.guid = m.guid;
    return row;
  }));
});

$('unmatch').addEventListener('click', () => {
  // asked inside the dialog (a second modal over this one would fight it for the focus)
  const confirmBox = el('div', { className: 'alert alert-warning d-flex flex-wrap align-items-center gap-2 mt-3', role: 'alert' },
    el('span', { className: 'me-auto', textContent: `${TEXT.unmatchTitle} ${TEXT.unmatchBody}` }));
  const yes = el('button', { type: 'button', className: 'btn btn-sm btn-danger', id: 'unmatch-confirm', textContent: TEXT.unmatchAction });
  const no = el('button', { type: 'button', className: 'btn btn-sm btn-outline-light', textContent: TEXT.cancel });
  confirmBox.append(yes, no);
  $('match-results').replaceChildren(confirmBox);
  no.addEventListener('click', () => confirmBox.remove());
  yes.addEventListener('click', async () => {
    const done = await api('POST', `/api/plex-editor/items/${current.rating_key}/unmatch`).catch(() => null);
    confirmBox.remove();
    if (!done) return;
    showGuids(done.guids);
    toast(TEXT.unmatched, 'success');
  });
});

// -- seasons: Plex's watched state next to Sonarr's files ------------------------------------------------
function episodeCode(season, episode) {
  return `S${String(season).padStart(2, '0')}E${String(episode).padStart(2, '0')}`;
}

async function loadSeasons() {
  const params = state.user ? `?user=${encodeURIComponent(state.user)}` : '';
  const box = $('seasons-list');
  box.replaceChildren(el('div', { className: 'small text-body-secondary', textContent: TEXT.loading }));
  const data = await api('GET', `/api/plex-editor/items/${current.rating_key}/seasons${params}`).catch(() => null);
  if (!data) { box.replaceChildren(); return; }
  const user = $('f-user').selectedOptions[0];
  const notes = [state.user ? fill(TEXT.plexWatchedFor, { name: user ? user.textContent : state.user }) : TEXT.noUser];
  if (!data.sonarr.configured) notes.push(TEXT.sonarrNotConfigured);
  if (data.sonarr.error) notes.push(data.sonarr.error);
  $('seasons-info').textContent = notes.join(' · ');
  if (data.tvdb_id) $('seasons-info').append(' ', followButton(data));
  box.replaceChildren(...data.seasons.map((season) => {
    const head = el('div', { className: 'd-flex flex-wrap align-items-center gap-2 mb-1' },
      el('h3', { className: 'h6 mb-0', textContent: fill(TEXT.season, { n: season.season }) }));
    if (season.missing) {
      head.append(el('span', { className: 'badge text-bg-danger', textContent: fill(TEXT.missingCount, { count: season.missing }) }));
      if (data.tvdb_id) {
        const link = el('a', { className: 'btn btn-sm btn-outline-warning', target: '_blank', rel: 'noopener', textContent: TEXT.searchMissing,
          href: `/search?${new URLSearchParams({ source: 'tvdb', id: data.tvdb_id, label: data.title, season: season.season })}` });
        link.dataset.searchSeason = season.season;
        head.append(link);
      }
    }
    const rows = season.episodes.map((e) => {
      const plexCell = e.in_plex ? (e.watch ? el('span', { className: `badge ${e.watch === 'watched' ? 'text-bg-success' : 'text-bg-light'}`, textContent: TEXT[e.watch] }) : el('span', { textContent: '✔' }))
        : el('span', { className: 'badge text-bg-secondary', textContent: TEXT.notInPlex });
      let sonarrCell = el('span', { textContent: '—' });
      if (e.sonarr) {
        const text = e.sonarr.has_file ? [TEXT.hasFile, e.sonarr.quality, e.sonarr.size ? size(e.sonarr.size) : ''].filter(Boolean).join(' · ')
          : (e.missing ? TEXT.missing : (e.sonarr.monitored ? TEXT.noFile : TEXT.notMonitored));
        sonarrCell = el('span', { className: e.missing ? 'badge text-bg-danger' : 'small', textContent: text });
      }
      const action = e.missing ? el('a', { className: 'btn btn-sm btn-outline-warning', target: '_blank', rel: 'noopener', textContent: TEXT.searchEpisode,
        href: `/search?${new URLSearchParams({ q: data.title, kind: 'tvsearch', season: season.season, episode: e.episode })}` }) : null;
      const tr = el('tr', { className: e.missing ? 'table-danger' : '' },
        el('td', { className: 'text-nowrap', textContent: episodeCode(season.season, e.episode) }), el('td', { textContent: e.title || '' }),
        el('td', {}, plexCell), el('td', {}, sonarrCell), el('td', {}, action));
      tr.dataset.episode = episodeCode(season.season, e.episode);
      tr.dataset.missing = String(e.missing);
      return tr;
    });
    const table = el('table', { className: 'table table-sm align-middle mb-3' },
      el('thead', {}, el('tr', {}, ...[TEXT.episode, LABELS.title, TEXT.inPlex, TEXT.inSonarr, ''].map((h) => el('th', { textContent: h })))),
      el('tbody', {}, ...rows));
    return el('section', { className: 'mb-2' }, head, el('div', { className: 'table-responsive' }, table));
  }));
}

$('seasons-tab').addEventListener('shown.bs.tab', loadSeasons);

// -- Kometa-style asset folders -------------------------------------------------------------------------
document.querySelectorAll('[data-item-assets]').forEach((button) => button.addEventListener('click', async () => {
  const action = button.dataset.itemAssets;
  const data = await api('POST', `/api/plex-editor/items/${current.rating_key}/assets/${action}`).catch(() => null);
  if (!data) return;
  if (data.missing) { toast(fill(TEXT.assetsMissing, { folder: data.folder }), 'warning'); return; }
  const names = data.written || data.uploaded;
  toast(fill(action === 'export' ? TEXT.assetsExported : TEXT.assetsImported, { count: names.length, folder: data.folder }),
    data.failed.length ? 'warning' : 'success');
  data.failed.forEach((f) => toast(`${f.name}: ${f.reason}`));
  if (action === 'import') { loadArtwork('posters'); load(); }
}));

async function followRun(runId, label) {
  const run = await api('GET', `/api/plex-editor/asset-runs/${runId}`, undefined, { quiet: true }).catch(() => null);
  if (!run) return;
  if (run.state === 'running') { setTimeout(() => followRun(runId, label), 1000); return; }
  toast(fill(TEXT.assetsRunDone, { action: label, done: run.done, images: run.images, failed: run.failed_count }),
    run.state === 'done' ? 'success' : 'warning');
  if (run.action === 'import') load();
}

document.querySelectorAll('[data-section-assets]').forEach((button) => button.addEventListener('click', async () => {
  if (!state.section) return;
  const run = await api('POST', `/api/plex-editor/sections/${state.section}/assets/${button.dataset.sectionAssets}`).catch(() => null);
  if (!run) return;
  toast(TEXT.assetsStarted, 'info');
  followRun(run.id, button.textContent.trim());
}));

// -- move to another root folder: progress read from the server, success only once the files are there --
async function loadMoveTargets() {
  const data = await api('GET', `/api/plex-editor/items/${current.rating_key}/move`).catch(() => null);
  if (!data) return;
  const others = data.roots.filter((r) => r !== data.current);
  $('move-root').replaceChildren(...others.map((r) => el('option', { value: r, textContent: r })));
  $('move-start').disabled = others.length === 0;
  if (!others.length) $('move-root').append(el('option', { value: '', textContent: TEXT.noRoot }));
}

function showMove(record) {
  const box = $('move-progress-box');
  box.classList.remove('d-none');
  const pct = record.bytes_total ? Math.round((record.bytes_done / record.bytes_total) * 100) : (record.state === 'done' ? 100 : 0);
  const bar = box.querySelector('.progress-bar');
  bar.style.width = `${pct}%`;
  bar.classList.toggle('bg-danger', record.state === 'failed');
  bar.classList.toggle('bg-success', record.state === 'done');
  bar.classList.toggle('progress-bar-animated', record.state === 'running');
  $('move-progress').setAttribute('aria-valuenow', String(pct));
  $('move-progress').dataset.state = record.state;
  $('move-status').textContent = record.state === 'running'
    ? fill(TEXT.moveRunning, { done: size(record.bytes_done), total: size(record.bytes_total) })
    : [record.message_text, ...(record.warnings_text || [])].filter(Boolean).join(' · ');
}

async function followMove(moveId) {
  const record = await api('GET', `/api/plex-editor/moves/${moveId}`, undefined, { quiet: true }).catch(() => null);
  if (!record) return;
  showMove(record);
  if (record.state === 'running') { setTimeout(() => followMove(moveId), 500); return; }
  toast(record.message_text, record.state === 'done' ? 'success' : 'danger');
  $('move-start').disabled = false;
  loadMoveTargets();
}

$('move-tab').addEventListener('shown.bs.tab', () => { $('move-progress-box').classList.add('d-none'); loadMoveTargets(); });
$('move-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  if (!$('move-root').value) return;
  $('move-start').disabled = true;
  const record = await api('POST', `/api/plex-editor/items/${current.rating_key}/move`, { root: $('move-root').value }).catch(() => null);
  if (!record) { $('move-start').disabled = false; return; }
  showMove(record);
  followMove(record.id);
});

// -- filters, paging, views, batch -----------------------------------------------------------------------
let typing;
$('filters').addEventListener('input', (event) => {
  readFilters();
  state.page = 1;
  save();
  clearTimeout(typing);
  typing = setTimeout(load, event.target.id === 'f-text' ? 300 : 0);
});
$('filters').addEventListener('submit', (event) => event.preventDefault());
$('page-prev').addEventListener('click', () => { state.page = Math.max(1, state.page - 1); save(); load(); });
$('page-next').addEventListener('click', () => { state.page += 1; save(); load(); });
$('view-grid').addEventListener('click', () => { state.view = 'grid'; save(); if (lastPage) render(lastPage.items); });
$('view-list').addEventListener('click', () => { state.view = 'list'; save(); if (lastPage) render(lastPage.items); });
$('reload-index').addEventListener('click', () => load({ fresh: true }));
$('select-page').addEventListener('change', (event) => {
  (lastPage?.items || []).forEach((item) => (event.target.checked ? selected.add(item.rating_key) : selected.delete(item.rating_key)));
  document.querySelectorAll('.mms-select').forEach((box) => { box.checked = event.target.checked; });
  renderBulk();
});
$('bulk-clear').addEventListener('click', () => {
  selected.clear();
  document.querySelectorAll('.mms-select').forEach((box) => { box.checked = false; });
  renderBulk();
});
$('bulk-action').addEventListener('change', renderBulk);
async function archiveAndDelete() {
  const keys = [...selected];
  const plan = await api('POST', '/api/archive/delete', { rating_keys: keys, dry_run: true }).catch(() => null);
  if (!plan) return;
  const lines = plan.items.map((i) => (i.error ? `${i.title} — ${i.error}`
    : `${i.title} — ${i.size ? size(i.size) : '?'} — ${fill(TEXT.via, { via: i.via })}`));
  const ok = await confirmDialog({ title: TEXT.deleteTitle, body: TEXT.deleteBody, items: lines,
    actions: [{ value: 'delete', label: TEXT.deleteAction, kind: 'danger' },
      { value: 'exclude', label: TEXT.deleteExclude, kind: 'outline-danger' }] });
  if (ok !== 'delete' && ok !== 'exclude') return;
  const done = await api('POST', '/api/archive/delete', { rating_keys: keys, dry_run: false, exclude: ok === 'exclude' }).catch(() => null);
  if (!done) return;
  const deleted = done.items.filter((i) => i.state === 'deleted').length;
  toast(fill(TEXT.deleteDone, { deleted, failed: done.items.length - deleted }), deleted === done.items.length ? 'success' : 'warning');
  done.items.filter((i) => i.error).forEach((i) => toast(`${i.title}: ${i.error}`));
  selected.clear();
  renderBulk();
  load({ fresh: true });
}

$('bulk-apply').addEventListener('click', async () => {
  if ($('bulk-action').value === 'archive_delete') { archiveAndDelete(); return; }
  const fields = [...$('bulk-fields').selectedOptions].map((o) => o.value);
  const answer = await api('POST', '/api/plex-editor/bulk', { rating_keys: [...selected], action: $('bulk-action').value,
    value: $('bulk-value').value, fields }).catch(() => null);
  if (!answer) return;
  toast(fill(TEXT.bulkDone, { done: answer.done.length, failed: answer.failed.length }), answer.failed.length ? 'warning' : 'success');
  answer.failed.slice(0, 5).forEach((f) => toast(`${f.rating_key}: ${f.error}`));
  load();
});

async function start() {
  writeFilters();
  showState('loading');
  let data;
  try {
    data = await api('GET', '/api/plex-editor/sections', undefined, { quiet: true });
  } catch (err) {
    showState(err.status === 409 ? 'config' : 'error', err.message);
    return;
  }
  if (!data.configured) { showState('config', TEXT.notConfigured); return; }
  sections = data.sections;
  const users = $('f-user');
  users.append(...data.users.map((u) => el('option', { value: String(u.id), textContent: u.name })));
  if (state.user !== undefined) users.value = state.user;
  const editable = sections.filter((s) => s.editable);
  if (!editable.some((s) => s.key === state.section)) state.section = editable[0]?.key ?? null;
  renderTabs();
  renderBulk();
  if (!state.section) { showState('empty'); return; }
  load();
  // a link from elsewhere (the assistant's poster check: /plex?item=<rating key>) opens that item
  const linked = new URLSearchParams(window.location.search).get('item');
  if (/^\d+$/.test(linked || '')) openItem(Number(linked));
}

start();
