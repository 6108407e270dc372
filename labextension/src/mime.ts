// Renderers for the MIME types nbsec puts in every display bundle: a Report and a threat model.
//
// They are "safe": everything from the data becomes text, never markup (report-view.ts,
// threatmodel-view.ts), so they render in untrusted notebooks too, and JupyterLab prefers them to the
// text/html fallback the same bundle carries (a lower rank wins).

import { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { Widget } from '@lumino/widgets';

import { REPORT_MIME, renderReportInto, renderThreatModelInto } from './render';
import { THREAT_MODEL_MIME } from './threatmodel-notebook';

const RANK = 20;

class NbsecMimeRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly mimeType: string,
    private readonly draw: (host: HTMLElement, data: unknown) => void
  ) {
    super();
    this.addClass('nbsec-mime');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.node.textContent = '';
    this.draw(this.node, model.data[this.mimeType]);
  }
}

function factory(mimeType: string, draw: (host: HTMLElement, data: unknown) => void): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [mimeType],
    defaultRank: RANK,
    createRenderer: () => new NbsecMimeRenderer(mimeType, draw)
  };
}

const extensions: IRenderMime.IExtension[] = [
  {
    id: 'nbsec:report-renderer',
    description: 'Renders nbsec Reports: findings, checks, metrics and figures.',
    rendererFactory: factory(REPORT_MIME, renderReportInto),
    rank: RANK,
    dataType: 'json'
  },
  {
    id: 'nbsec:threatmodel-renderer',
    description: 'Renders nbsec threat models.',
    rendererFactory: factory(THREAT_MODEL_MIME, renderThreatModelInto),
    rank: RANK,
    dataType: 'json'
  }
];

export default extensions;
