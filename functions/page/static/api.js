// The page's calls to the API beside it (same origin, relative URLs): POST /query, and the local stack's
// uploads. Every answer comes back as {status, data}; the API's own message is the error shown.

const url = (path) => new URL(path, document.baseURI);

function headers(key, extra = {}) {
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

async function call(path, init) {
  let res;
  try {
    res = await fetch(url(path), init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    return { status: 0, data: null, retryAfter: null };
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON (a proxy's error page): the status alone tells
  }
  return { status: res.status, data, retryAfter: res.headers.get('retry-after') };
}

/** POST /query with the request as the API takes it. */
export function query(body, key, signal) {
  return call('query', {
    method: 'POST',
    headers: headers(key, { 'content-type': 'application/json' }),
    body: JSON.stringify(body),
    signal,
  });
}

/** What an error answer says: the API's `error` (or API Gateway's `message`), else its status. */
export function errorMessage({ status, data, retryAfter }) {
  if (status === 0) return 'The API could not be reached: is the stack running?';
  const said = data && typeof data === 'object' ? (data.error ?? data.message) : undefined;
  const text = typeof said === 'string' && said ? said : 'no message';
  const retry = retryAfter ? ` (retry in ${retryAfter} s)` : '';
  return `${status}: ${text}${retry}`;
}

/** The local stack's upload limits; 404 where there are no uploads (a deployed stack). */
export function uploadLimits(key) {
  return call('local/uploads', { headers: headers(key) });
}

/** Puts a file into the documents bucket through the local stack. */
export function upload(file, key) {
  return call(`local/uploads/${encodeURIComponent(file.name)}`, {
    method: 'PUT',
    headers: headers(key, { 'content-type': file.type || 'text/plain' }),
    body: file,
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Asks for one chunk of `source` until one comes back (ingestion done): resolves with the seconds waited, or
 * rejects with the message of an answer that will not change by waiting (400, 401, …) or on timeout.
 */
export async function waitUntilSearchable(source, key, { timeoutMs = 180_000, intervalMs = 1000 } = {}) {
  const start = performance.now();
  const body = { query: 'what is this document about?', filter: { source }, k: 1, topN: 1, mode: 'vector' };
  for (;;) {
    const answer = await query(body, key);
    if (answer.status === 200 && answer.data?.results?.length > 0) return (performance.now() - start) / 1000;
    if (answer.status !== 200 && answer.status !== 503 && answer.status !== 0) throw new Error(errorMessage(answer));
    if (performance.now() - start > timeoutMs) {
      throw new Error(
        `${source} is not searchable after ${Math.round(timeoutMs / 1000)} s; the stack's output says why ingestion failed`,
      );
    }
    await sleep(intervalMs);
  }
}
