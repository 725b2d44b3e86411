// The search page: form ⇄ URL (a shared URL runs its search), the search with its loading, empty and error
// states, the API key, and the local stack's upload box. The API validates every field: the page sends what
// was typed and shows the API's message when it refuses. Only the metadata filter is read here first (into the
// API's filter expression, api.filterOf), with its own message beside the field.
import * as api from './api.js';
import { renderColumns, renderTimings } from './render.js';
import { documentsView } from './documents.js';

const $ = (id) => document.getElementById(id);
const fields = {
  q: $('q'),
  mode: $('mode'),
  k: $('k'),
  topN: $('topN'),
  source: $('source'),
  metadata: $('metadata'),
};
const keyInput = $('key');
const results = $('results');
const parts = {
  first: $('first'),
  reranked: $('reranked'),
  firstNote: $('first-note'),
  rerankedNote: $('reranked-note'),
};
const KEY_STORAGE = 'rerank-pipeline-api-key';

const key = () => keyInput.value.trim();

// --- form ⇄ URL --------------------------------------------------------------------------------------------

/** The form as URL parameters (empty fields left out). */
function paramsOfForm() {
  const params = new URLSearchParams();
  for (const [name, input] of Object.entries(fields)) {
    const value = input.value.trim();
    if (value || name === 'q') params.set(name, value);
  }
  return params;
}

/** The form as the URL says; a field the URL leaves out goes back to its default (e.g. no metadata filter). */
function fillForm(params) {
  for (const [name, input] of Object.entries(fields)) {
    input.value = params.get(name) ?? (input.tagName === 'SELECT' ? input.options[0].value : input.defaultValue);
  }
}

/**
 * The /query request of a search; numbers as numbers, anything else as typed, for the API to judge.
 * @throws api.FilterSyntaxError when the metadata filter cannot be read.
 */
function requestOf(params) {
  const request = { query: params.get('q') ?? '', mode: params.get('mode') || 'vector', candidates: true };
  for (const name of ['k', 'topN']) {
    const value = params.get(name)?.trim();
    if (value) request[name] = Number.isNaN(Number(value)) ? value : Number(value);
  }
  const filter = api.filterOf(params.get('source')?.trim(), params.get('metadata'));
  if (filter) request.filter = filter;
  return request;
}

// --- states ------------------------------------------------------------------------------------------------

function setState(state) {
  results.dataset.state = state;
  results.setAttribute('aria-busy', String(state === 'loading'));
  const button = $('submit');
  button.disabled = state === 'loading';
  button.textContent = state === 'loading' ? 'Searching…' : 'Search';
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = false;
}

function clearResults(emptyText) {
  $('columns').hidden = true;
  $('timings').hidden = true;
  $('empty').hidden = emptyText === null;
  if (emptyText) $('empty').textContent = emptyText;
}

/** The metadata filter's own message, beside it (null: none). */
function filterProblem(message) {
  const box = $('metadata-error');
  box.textContent = message ?? '';
  box.hidden = message === null;
  if (message === null) fields.metadata.removeAttribute('aria-invalid');
  else fields.metadata.setAttribute('aria-invalid', 'true');
}

fields.metadata.addEventListener('input', () => filterProblem(null));

// --- search ------------------------------------------------------------------------------------------------

let current = null;

/**
 * The request of `params`, or null (nothing is sent) when the metadata filter cannot be read: its message is
 * shown beside the field, and a search still under way is dropped.
 */
function prepare(params) {
  try {
    const request = requestOf(params);
    filterProblem(null);
    return request;
  } catch (error) {
    if (!(error instanceof api.FilterSyntaxError)) throw error;
    current?.abort();
    current = null;
    if (results.dataset.state === 'loading') setState('idle');
    $('error').hidden = true;
    $('status').textContent = 'Not searched: the metadata filter needs fixing.';
    filterProblem(error.message);
    fields.metadata.focus();
    return null;
  }
}

async function search(params, request) {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  $('error').hidden = true;
  $('status').textContent = 'Searching…';
  setState('loading');
  const start = performance.now();
  let answer;
  try {
    answer = await api.query(request, key(), controller.signal);
  } catch (error) {
    if (error.name === 'AbortError') return; // a newer search took over
    throw error;
  }
  if (current !== controller) return;
  const roundTrip = performance.now() - start;

  if (answer.status !== 200) {
    setState('error');
    clearResults(null);
    $('status').textContent = 'The search failed.';
    const unauthorised = answer.status === 401 || answer.status === 403;
    showError(`${api.errorMessage(answer)}${unauthorised ? ' Enter a valid API key in the form.' : ''}`);
    if (unauthorised) keyInput.focus();
    return;
  }
  const data = answer.data;
  setState('done');
  $('share').href = `?${params}`;
  $('share').hidden = false;
  if (data.results.length === 0 && (data.candidates ?? []).length === 0) {
    clearResults(
      'No chunks matched: nothing is indexed yet, or nothing matches the source or metadata filter. Upload a document (local stack) or clear the filters.',
    );
    $('status').textContent = 'No results.';
    return;
  }
  clearResults(null);
  renderTimings($('timings'), data.timings, roundTrip);
  renderColumns(parts, data, request);
  $('timings').hidden = false;
  $('columns').hidden = false;
  const count = (data.candidates ?? []).length;
  $('status').textContent =
    `${count} candidate${count === 1 ? '' : 's'}, ${data.results.length} result${data.results.length === 1 ? '' : 's'}` +
    `${data.reranked ? ' after reranking' : ' (not reranked)'}, in ${Math.round(data.timings.total)} ms.`;
}

/** Runs the search of the page's URL, if it has one: false when it has none. */
function searchFromUrl() {
  const params = new URLSearchParams(location.search);
  fillForm(params);
  if (!params.has('q')) {
    setState('idle');
    return false;
  }
  const request = prepare(params);
  if (request) search(params, request);
  return true;
}

$('search').addEventListener('submit', (event) => {
  event.preventDefault();
  const params = paramsOfForm();
  const request = prepare(params);
  if (!request) return;
  if (`?${params}` !== location.search) history.pushState(null, '', `?${params}`);
  search(params, request);
});
window.addEventListener('popstate', searchFromUrl);

// --- API key -----------------------------------------------------------------------------------------------

keyInput.value = sessionStorage.getItem(KEY_STORAGE) ?? '';
keyInput.addEventListener('change', () => {
  sessionStorage.setItem(KEY_STORAGE, key());
  probeUploads();
  documents.refresh();
});

// --- documents and uploads --------------------------------------------------------------------------------

const documents = documentsView(
  {
    section: $('documents-section'),
    body: $('documents-body'),
    status: $('documents-status'),
    filter: $('documents-filter'),
    more: $('documents-more'),
    note: $('documents-note'),
  },
  key,
);
$('documents-refresh').addEventListener('click', () => documents.refresh());

const formatBytes = (n) => (n < 1024 * 1024 ? `${Math.ceil(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

function uploadStatus(text, state) {
  const status = $('upload-status');
  status.textContent = text;
  status.dataset.state = state;
}

/** The local stack tells its upload limits (a deployed API answers 404: the API's own errors tell them). */
async function probeUploads() {
  const answer = await api.uploadLimits(key());
  const limits = $('upload-limits');
  if (answer.status === 200) {
    const { extensions, maxBytes, prefix } = answer.data;
    limits.textContent = `(${extensions.join(', ')}, up to ${formatBytes(maxBytes)}; stored under ${prefix})`;
    $('file').accept = extensions.join(',');
  } else if (answer.status === 401 || answer.status === 403) {
    limits.textContent = '(enter the API key first)';
  }
}

$('upload').addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = $('file').files[0];
  if (!file) {
    uploadStatus('Choose a file first.', 'error');
    $('file').focus();
    return;
  }
  const button = $('upload-submit');
  button.disabled = true;
  uploadStatus(`Uploading ${file.name}…`, 'loading');
  try {
    const answer = await api.upload(file, key());
    if (answer.status !== 202) {
      uploadStatus(`Upload refused: ${api.errorMessage(answer)}`, 'error');
      return;
    }
    const { source, bytes } = answer.data;
    uploadStatus(`Uploaded ${source} (${formatBytes(bytes)}); indexing…`, 'indexing');
    documents.refresh();
    const seconds = await api.waitUntilIndexed(source, key());
    uploadStatus(`${source} is indexed (in ${seconds.toFixed(1)} s).`, 'searchable');
    documents.refresh();
  } catch (error) {
    uploadStatus(error.message, 'error');
  } finally {
    button.disabled = false;
  }
});

probeUploads();
documents.refresh();
if (!searchFromUrl()) fields.q.focus();
