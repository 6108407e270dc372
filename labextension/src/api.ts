// The JupyterLab side of the API client: requests go through ServerConnection, which adds the
// user's token and the XSRF header, so the server's authentication and authorization apply.

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { NbsecClient, Requester } from './api-client';

export function createClient(settings: ServerConnection.ISettings = ServerConnection.makeSettings()): NbsecClient {
  const request: Requester = (path, init) =>
    ServerConnection.makeRequest(URLExt.join(settings.baseUrl, path), init, settings);
  return new NbsecClient(request);
}
