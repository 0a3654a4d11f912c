// The global mapping modal: choose the media the release(s) are for; resolves with the mapping.
import { api, confirmDialog, t, toast } from './api.js';
import { colourTrailerButtons, trailerButtonFor } from './trailers.js';

const modalEl = document.getElementById('mapping-modal');
const $ = (id) => document.getElementById(id);
let chosen = null;
let resolver = null;

function text(key) { return modalEl.dataset[key]; }

function describe(c) {
  const ids = [c.tmdb_id && `tmdb ${c.tmdb_id}`, c.tvdb_id && `tvdb ${c.tvdb_id}`].filter(Boolean).join(' · ');
  return `${c.title}${c.year ? ` (${c.year})` : ''} — ${c.source}${ids ? ` · ${ids}` : ''}`;
}

async function loadArrOptions(service) {
  const options = await api('GET', `/api/mapping/arr-options?service=${service}`);
  $('mapping-root').replaceChildren(...options.root_folders.map((p) => new Option(p, p)));
  $('mapping-profile').replaceChildren(...options.quality_profiles.map((p) => new Option(p.name, p.id)));
  $('mapping-arr-add').classList.remove('d-none');
}

function choose(candidate, button) {
  chosen = candidate;
  document.querySelectorAll('#mapping-candidates .active').forEach((b) => b.classList.remove('active'));
  button.classList.add('active');
  $('mapping-choice').textContent = describe(candidate);
  const trailer = trailerButtonFor(candidate, 'find-trailer-from-map-btn');
  if (trailer) { trailer.classList.add('ms-2'); $('mapping-choice').append(trailer); colourTrailerButtons($('mapping-choice')); }
  $('mapping-send').disabled = false;
  $('mapping-arr-add').classList.add('d-none');
  if (candidate.source.endsWith('-lookup')) loadArrOptions(candidate.source.split('-')[0]).catch(() => {});
}

$('mapping-type').addEventListener('change', () => {
  $('mapping-episodes').classList.toggle('d-none', $('mapping-type').value !== 'tv');
});

function poster(candidate) {
  // the poster comes through MMS's image proxy; a placeholder of the same size keeps the rows aligned
  if (!candidate.poster) return Object.assign(document.createElement('span'), { className: 'mms-poster mms-poster-empty' });
  const img = Object.assign(document.createElement('img'), { className: 'mms-poster', src: candidate.poster, alt: '', loading: 'lazy' });
  img.addEventListener('error', () => img.replaceWith(Object.assign(document.createElement('span'), { className: 'mms-poster mms-poster-empty' })));
  return img;
}

async function searchCandidates(preferred = null) {
  const list = $('mapping-candidates');
  list.replaceChildren(Object.assign(document.createElement('div'), { className: 'small', textContent: text('searchingText') }));
  const params = new URLSearchParams({ q: $('mapping-query').value, media_type: $('mapping-type').value });
  const data = await api('GET', `/api/mapping/candidates?${params}`).catch(() => ({ candidates: [], errors: [] }));
  $('mapping-errors').textContent = data.errors.join(' · ');
  list.replaceChildren();
  if (!data.candidates.length) list.append(Object.assign(document.createElement('div'), { className: 'small', textContent: text('noneText') }));
  // the library first (what Sonarr/Radarr already follow), then the lookups
  const ordered = [...data.candidates].sort((a, b) => Number(b.in_library) - Number(a.in_library));
  ordered.forEach((c) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'list-group-item list-group-item-action d-flex align-items-center gap-2';
    button.dataset.source = c.source;
    button.append(poster(c), Object.assign(document.createElement('span'), { className: 'flex-grow-1', textContent: describe(c) }));
    const badge = document.createElement('span');
    badge.className = `badge ms-2 ${c.in_library ? 'text-bg-success' : 'text-bg-secondary'}`;
    badge.textContent = c.in_library ? text('inLibraryText') : (c.term ? text('addText') : c.source);
    button.append(badge);
    button.addEventListener('click', () => choose(c, button));
    list.append(button);
    if (preferred && !chosen && ((preferred.tmdb_id && c.tmdb_id === preferred.tmdb_id)
        || (preferred.tvdb_id && c.tvdb_id === preferred.tvdb_id))) choose(c, button);
  });
}

$('mapping-search').addEventListener('submit', (event) => {
  event.preventDefault();
  searchCandidates();
});

$('mapping-send').addEventListener('click', async () => {
  if (!chosen) return;
  let candidate = chosen;
  try {
    if (candidate.term) {
      candidate = await api('POST', '/api/mapping/arr-add', {
        service: candidate.source.split('-')[0], term: candidate.term,
        root_folder_path: $('mapping-root').value, quality_profile_id: Number($('mapping-profile').value),
      });
    }
  } catch { return; }
  const mapping = {
    media_type: candidate.media_type, title: candidate.title, year: candidate.year || null,
    tmdb_id: candidate.tmdb_id || null, tvdb_id: candidate.tvdb_id || null, imdb_id: candidate.imdb_id || null,
    sonarr_series_id: candidate.sonarr_series_id || null, radarr_movie_id: candidate.radarr_movie_id || null,
  };
  if (mapping.media_type === 'tv') {
    const season = $('mapping-season').value;
    mapping.season = season === '' ? null : Number(season);
    mapping.episodes = $('mapping-episode-list').value.split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  }
  window.bootstrap.Modal.getOrCreateInstance(modalEl).hide();
  if (resolver) resolver(mapping);
  resolver = null;
});

// hidden for a moment by the trailer modal (data-suspended): the dialog comes back with its state, not cancelled
modalEl.addEventListener('hidden.bs.modal', () => {
  if (modalEl.dataset.suspended === 'true') return;
  if (resolver) { resolver(null); resolver = null; }
});

// openMapping({names, mediaType, query, entry}) -> Promise<mapping | null>; with ``entry`` (a pending-map
// entry) the dialog re-maps it: pre-filled from its type, title, ids, season and episodes.
export function openMapping({ names = [], mediaType = 'movie', query = '', entry = null } = {}) {
  chosen = null;
  $('mapping-send').disabled = true;
  $('mapping-send').textContent = entry ? text('remapText') : text('sendText');
  if (entry) {
    mediaType = entry.media_type;
    query = entry.title;
    $('mapping-season').value = entry.season ?? '';
    $('mapping-episode-list').value = (entry.episodes || []).join(',');
  } else {
    $('mapping-season').value = '';
    $('mapping-episode-list').value = '';
  }
  $('mapping-choice').textContent = '';
  $('mapping-candidates').replaceChildren();
  $('mapping-errors').textContent = '';
  $('mapping-arr-add').classList.add('d-none');
  $('mapping-type').value = mediaType;
  $('mapping-episodes').classList.toggle('d-none', mediaType !== 'tv');
  $('mapping-query').value = query;
  $('mapping-releases').textContent = names.slice(0, 5).join(' · ') + (names.length > 5 ? ` (+${names.length - 5})` : '');
  window.bootstrap.Modal.getOrCreateInstance(modalEl).show();
  if (query) searchCandidates(entry);  // the search runs as the dialog opens
  return new Promise((resolve) => { resolver = resolve; });
}

// confirmPending(conflicts) -> whether the user sends anyway what the pipeline already holds
export async function confirmPending(conflicts) {
  const answer = await confirmDialog({ title: text('pendingTitleText'), body: text('pendingBodyText'), items: conflicts,
    actions: [{ value: 'send', label: text('sendAnywayText'), kind: 'warning' }] });
  return answer === 'send';
}

// sendReleases(items, mapping) -> report (shown as toasts and returned); what is already in the pipeline
// is sent only after the user confirms it.
export async function sendReleases(items, mapping) {
  const answer = await api('POST', '/api/seedbox/send', { items, mapping });
  const held = answer.report.map((line, i) => [line, items[i]]).filter(([line]) => line.already_pending);
  if (held.length && await confirmPending(held.flatMap(([line]) => line.already_pending))) {
    const again = await api('POST', '/api/seedbox/send', { items: held.map(([, item]) => item), mapping, confirm: true });
    held.forEach(([line], i) => Object.assign(line, again.report[i]));
    answer.sent += again.sent;
    answer.failed -= again.sent;
  }
  toast(`${answer.sent} ${t('words', 'sent')} / ${answer.failed} ${t('words', 'failed')}`, answer.failed ? 'warning' : 'success');
  return answer;
}

window.MMS = { ...(window.MMS || {}), openMapping, sendReleases };
