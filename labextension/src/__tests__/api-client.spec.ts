// The browser's side of the REST API: what the UI says when the server answers, refuses, is missing or
// hangs. A fake requester stands in for ServerConnection.makeRequest (the server itself is tested with a
// real Jupyter in tests/integration/test_server_api.py).
import { describeError, MISSING_EXTENSION_HINT, NbsecApiError, NbsecClient, Requester } from '../api-client';

function answer(status: number, body: unknown, statusText = ''): Promise<Response> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return Promise.resolve({
    ok: status >= 200 && status < 300,
    status,
    statusText,
    text: () => Promise.resolve(text)
  } as Response);
}

const REPORT = {
  schema_version: '1.3',
  tool: { name: 'nbsec', version: '0.1.0' },
  started_at: '2026-12-07T09:00:00Z',
  finished_at: '2026-12-07T09:00:01Z',
  targets: [],
  findings: [],
  metrics: [],
  checks: [],
  errors: [],
  timings: {}
};

async function failure(promise: Promise<unknown>): Promise<NbsecApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(NbsecApiError);
    return error as NbsecApiError;
  }
  throw new Error('expected a failure');
}

test('a scan posts the path (and only) to nbsec/api/scan and returns the Report', async () => {
  const calls: Array<[string, RequestInit]> = [];
  const request: Requester = (path, init) => {
    calls.push([path, init]);
    return answer(200, REPORT);
  };
  const report = await new NbsecClient(request).scan({ path: 'demo/demo.ipynb', only: ['NBSEC-NB'] });
  expect(report.schema_version).toBe('1.3');
  expect(calls).toHaveLength(1);
  expect(calls[0][0]).toBe('nbsec/api/scan');
  expect(calls[0][1].method).toBe('POST');
  expect(JSON.parse(String(calls[0][1].body))).toEqual({ path: 'demo/demo.ipynb', only: ['NBSEC-NB'] });
});

test("nbsec's JSON error keeps its code, message and hint", async () => {
  const request: Requester = () =>
    answer(403, { code: 'path-outside-root', message: '../x: outside the root', hint: 'scan files under the root' });
  const error = await failure(new NbsecClient(request).scan({ path: '../x' }));
  expect(error.code).toBe('path-outside-root');
  expect(error.status).toBe(403);
  expect(describeError(error)).toBe('../x: outside the root. Hint: scan files under the root');
});

test('a 404 without nbsec\'s body means the server extension is missing, and says what to install', async () => {
  const request: Requester = () => answer(404, '<html>404: Not Found</html>', 'Not Found');
  const error = await failure(new NbsecClient(request).scan({ path: 'a.ipynb' }));
  expect(error.code).toBe('extension-missing');
  expect(error.hint).toBe(MISSING_EXTENSION_HINT);
  expect(describeError(error)).toContain('pip install nbsec');
});

test('a refused login (403 from Jupyter, not nbsec) asks to log in again', async () => {
  const error = await failure(new NbsecClient(() => answer(403, '')).rules());
  expect(error.code).toBe('forbidden');
  expect(error.hint).toContain('log in');
});

test('a server that is gone gives "unreachable", not a spinner', async () => {
  const request: Requester = () => Promise.reject(new TypeError('Failed to fetch'));
  const error = await failure(new NbsecClient(request).scan({ path: 'a.ipynb' }));
  expect(error.code).toBe('unreachable');
  expect(error.message).toContain('Failed to fetch');
});

test('a server that never answers is given up on at the deadline', async () => {
  const request: Requester = (_path, init) =>
    new Promise((_resolve, reject) => {
      init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
  const error = await failure(new NbsecClient(request, 50).scan({ path: 'a.ipynb' }));
  expect(error.code).toBe('timeout');
});

test('an answer that is not a Report is an error naming a version mismatch', async () => {
  const error = await failure(new NbsecClient(() => answer(200, { hello: 'world' })).scan({ path: 'a' }));
  expect(error.code).toBe('bad-answer');
  expect(error.message).toContain('not a Report (');
  expect(error.hint).toContain('pip show nbsec');
});

test('rules() returns the list, and [] for an odd body', async () => {
  const rules = [{ id: 'NBSEC-NB-001', title: 'x', severity: 'high' }];
  expect(await new NbsecClient(() => answer(200, { rules })).rules()).toEqual(rules);
  expect(await new NbsecClient(() => answer(200, { other: 1 })).rules()).toEqual([]);
});
