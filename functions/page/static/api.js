// The page's calls to the API beside it (same origin, relative URLs): POST /query, and the local stack's
// uploads. Every answer comes back as {status, data}; the API's own message is the error shown. Also the
// metadata filter's little language, turned into the API's (Bedrock-style) filter expression.

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

/** `documents/<key>` with each segment of the key encoded. */
const documentPath = (source) => `documents/${source.split('/').map(encodeURIComponent).join('/')}`;

/** Direct ingestion (PUT /documents/{key}): 202 with the document pending. */
export function upload(file, key, prefix = 'docs/') {
  return call(documentPath(`${prefix}${file.name}`), {
    method: 'PUT',
    headers: headers(key, { 'content-type': file.type || 'application/octet-stream' }),
    body: file,
  });
}

/** A page of GET /documents (`status`, `cursor` optional). */
export function listDocuments({ status, cursor, limit = 50 }, key) {
  const params = new URLSearchParams({ limit: String(limit) });
  if (status) params.set('status', status);
  if (cursor) params.set('cursor', cursor);
  return call(`documents?${params}`, { headers: headers(key) });
}

export function getDocument(source, key) {
  return call(documentPath(source), { headers: headers(key) });
}

export function deleteDocument(source, key) {
  return call(documentPath(source), { method: 'DELETE', headers: headers(key) });
}

/** Polls a document's status until it is indexed (the seconds it took) or failed (its reason, thrown). */
export async function waitUntilIndexed(source, key, { timeoutMs = 180_000, intervalMs = 1000 } = {}) {
  const start = performance.now();
  for (;;) {
    const answer = await getDocument(source, key);
    if (answer.status === 200 && answer.data.status === 'indexed') return (performance.now() - start) / 1000;
    if (answer.status === 200 && answer.data.status === 'failed')
      throw new Error(`${source} failed: ${answer.data.reason}`);
    if (answer.status !== 200 && answer.status !== 404 && answer.status !== 503 && answer.status !== 0)
      throw new Error(errorMessage(answer));
    if (performance.now() - start > timeoutMs)
      throw new Error(`${source} is not indexed after ${Math.round(timeoutMs / 1000)} s; its status says why`);
    await sleep(intervalMs);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- metadata filter ---------------------------------------------------------------------------------------

/** A metadata filter the page cannot read: its message is shown beside the field, and nothing is sent. */
export class FilterSyntaxError extends Error {}

/** The operators a condition may use, as the API names them (`starts` and `^=` are one). */
const OPERATORS = {
  '=': 'equals',
  '==': 'equals',
  '!=': 'notEquals',
  '>': 'greaterThan',
  '>=': 'greaterThanOrEquals',
  '<': 'lessThan',
  '<=': 'lessThanOrEquals',
  has: 'listContains',
  starts: 'startsWith',
  '^=': 'startsWith',
};
export const OPERATOR_LIST = '= != > >= < <= has starts (or ^=)';
const SYMBOL_CONDITION = /^([A-Za-z][A-Za-z0-9_-]*)\s*(>=|<=|!=|==|\^=|=|>|<)\s*(.*)$/s;
const WORD_CONDITION = /^([A-Za-z][A-Za-z0-9_-]*)\s+(has|starts)\s+(.*)$/is;
const OPENS_VALUE = /(?:[=<>]|\s(?:has|starts))\s*$/i;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The conditions of `text`, split at each `;` outside quotes ("…" with \ escapes, or '…'). */
function splitConditions(text) {
  const parts = [];
  let part = '';
  let quote = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"' && i + 1 < text.length) {
        part += c + text[++i];
        continue;
      }
      if (c === quote) quote = null;
    } else if (c === ';') {
      parts.push(part);
      part = '';
      continue;
    } else if ((c === '"' || c === "'") && OPENS_VALUE.test(part)) {
      quote = c; // a quote that opens a value (right after the operator), not an apostrophe inside one
    }
    part += c;
  }
  if (quote) throw new FilterSyntaxError(`"${part.trim()}": the quote ${quote} is not closed`);
  parts.push(part);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

/** A typed value: quoted → string; true/false → boolean; a number → number; anything else → the text. */
function typedValue(raw, condition) {
  if (raw === '') throw new FilterSyntaxError(`"${condition}": no value after the operator`);
  const quote = raw[0];
  if (quote === '"' || quote === "'") {
    if (raw.length < 2 || raw.at(-1) !== quote) {
      throw new FilterSyntaxError(`"${condition}": a quoted value must end with its quote and nothing after it`);
    }
    if (quote === "'") return raw.slice(1, -1);
    try {
      return JSON.parse(raw);
    } catch {
      throw new FilterSyntaxError(`"${condition}": the quoted value is not valid ("…" with \\" for a quote)`);
    }
  }
  if (raw === 'true' || raw === 'false') return raw === 'true';
  if (NUMBER.test(raw)) return Number(raw);
  return raw;
}

/** One condition (`key op value`) as a filter expression. */
function conditionOf(condition) {
  const match = condition.match(SYMBOL_CONDITION) ?? condition.match(WORD_CONDITION);
  if (!match) {
    throw new FilterSyntaxError(
      `"${condition}" is not a condition: write key, operator, value (e.g. team = eng); operators: ${OPERATOR_LIST}`,
    );
  }
  const [, key, symbol, raw] = match;
  const op = OPERATORS[symbol.toLowerCase()];
  let value = typedValue(raw.trim(), condition);
  if (op === 'listContains' || op === 'startsWith') {
    value = String(value); // these take text: `tags has 2024` means the string "2024"
    if (value === '') throw new FilterSyntaxError(`"${condition}": ${symbol} needs some text`);
  } else if (op !== 'equals' && op !== 'notEquals' && typeof value !== 'number') {
    throw new FilterSyntaxError(`"${condition}": ${symbol} compares numbers, and ${raw.trim()} is not one`);
  }
  return { [op]: { key, value } };
}

/**
 * The /query filter of the form: `source` (a document key) and `conditions` (the metadata filter, conditions
 * separated by `;`, all of which must hold). Source alone stays `{"source": …}`; otherwise one condition is
 * itself and several are `andAll`. Undefined when both are empty.
 * @throws FilterSyntaxError when a condition cannot be read.
 */
export function filterOf(source, conditions) {
  const parsed = splitConditions(conditions ?? '').map(conditionOf);
  if (parsed.length === 0) return source ? { source } : undefined;
  const all = source ? [{ equals: { key: 'source', value: source } }, ...parsed] : parsed;
  return all.length === 1 ? all[0] : { andAll: all };
}
