// The nbsec REST API seen from the browser: typed calls and errors that say what to do.
//
// Pure (no @jupyterlab import) so jest can drive it with a fake `fetch`: the JupyterLab side (api.ts)
// passes ServerConnection.makeRequest, which adds the token and the XSRF header. Every call has a
// deadline, so a server that went away or hangs gives a message instead of a spinner that never stops.

import { isRecord } from './json';
import { reportProblem } from './report-guard';
import { NbsecReportV1 } from './report-types';

/** What the UI needs to show a failure: nbsec's JSON error body, or one made up from what happened. */
export class NbsecApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
    readonly status: number | null
  ) {
    super(message);
    this.name = 'NbsecApiError';
  }
}

export type Requester = (path: string, init: RequestInit) => Promise<Response>;

export interface ScanRequest {
  /** A file or folder, relative to the Jupyter server's root ('' is the root). */
  path: string;
  /** Rule ids or prefixes to keep (NBSEC-NB, NBSEC-ART-001), as `nbsec scan --only`. */
  only?: string[];
}

export interface RuleInfo {
  id: string;
  title: string;
  severity: string;
  [key: string]: unknown;
}

export const MISSING_EXTENSION_HINT =
  'install nbsec in the Python environment that runs Jupyter (pip install nbsec), then restart Jupyter; ' +
  '`jupyter server extension list` should show "nbsec enabled ... OK"';

// The server answers a scan within its own limit (c.NbsecServer.scan_timeout, 300 s by default);
// waiting a little longer than that lets its 504 with a hint arrive before our own deadline fires.
export const DEFAULT_TIMEOUT_MS = 330_000;

export class NbsecClient {
  constructor(
    private readonly request: Requester,
    private readonly timeoutMs: number = DEFAULT_TIMEOUT_MS
  ) {}

  async scan(body: ScanRequest): Promise<NbsecReportV1> {
    const payload: Record<string, unknown> = { path: body.path };
    if (body.only && body.only.length) {
      payload.only = body.only;
    }
    const data = await this.call('scan', { method: 'POST', body: JSON.stringify(payload) });
    // The renderers' own guard: the panel model and the views rely on the shape it checks.
    const problem = reportProblem(data);
    if (problem !== null) {
      throw new NbsecApiError(
        'bad-answer',
        `the nbsec server answered a scan with something that is not a Report (${problem})`,
        'check that the server runs the same nbsec version as this extension (pip show nbsec)',
        null
      );
    }
    return data as NbsecReportV1;
  }

  async rules(): Promise<RuleInfo[]> {
    const data = await this.call('rules', { method: 'GET' });
    const rules = (data as { rules?: unknown }).rules;
    return Array.isArray(rules) ? (rules as RuleInfo[]) : [];
  }

  private async call(endpoint: string, init: RequestInit): Promise<unknown> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    let response: Response;
    try {
      response = await this.request(`nbsec/api/${endpoint}`, { ...init, signal: controller.signal });
    } catch (error) {
      if (timedOut) {
        throw new NbsecApiError(
          'timeout',
          `the Jupyter server gave no answer in ${Math.round(this.timeoutMs / 1000)} s`,
          'check that Jupyter is still running (its terminal shows its log)',
          null
        );
      }
      throw new NbsecApiError(
        'unreachable',
        `the Jupyter server could not be reached (${errorText(error)})`,
        'check that Jupyter is still running, then try again',
        null
      );
    } finally {
      clearTimeout(timer);
    }
    return parseAnswer(response);
  }
}

async function parseAnswer(response: Response): Promise<unknown> {
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) {
    if (body === undefined) {
      throw new NbsecApiError('bad-answer', 'the nbsec server sent an answer that is not JSON', MISSING_EXTENSION_HINT, response.status);
    }
    return body;
  }
  if (isErrorBody(body)) {
    throw new NbsecApiError(body.code, body.message, body.hint, response.status);
  }
  // No nbsec error body: the route does not exist (extension not installed or not enabled) or the
  // request never reached nbsec's handlers.
  if (response.status === 404) {
    throw new NbsecApiError(
      'extension-missing',
      'the nbsec server extension is not running in this Jupyter server',
      MISSING_EXTENSION_HINT,
      404
    );
  }
  if (response.status === 401 || response.status === 403) {
    throw new NbsecApiError(
      'forbidden',
      `the Jupyter server refused the request (${response.status})`,
      'log in to Jupyter again (reload the page), or ask its administrator for access',
      response.status
    );
  }
  throw new NbsecApiError(
    'http-error',
    `the Jupyter server answered ${response.status} ${response.statusText}`.trim(),
    "see the Jupyter server's log",
    response.status
  );
}

function isErrorBody(body: unknown): body is { code: string; message: string; hint: string } {
  return (
    isRecord(body) && typeof body.code === 'string' && typeof body.message === 'string' && typeof body.hint === 'string'
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** One line for a notification: the message and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof NbsecApiError) {
    return error.hint ? `${error.message}. Hint: ${error.hint}` : error.message;
  }
  return `nbsec: ${errorText(error)}`;
}
