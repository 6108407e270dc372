// The "AI Security" side panel: the findings of the active notebook, grouped by severity.
// It draws what the ScanController holds; every string from a Report is set as text.

import { NotebookPanel } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { ScanController, NotebookScan } from './controller';
import { h } from './dom';
import { PanelItem } from './panel-model';
import { severityLabel } from './severity';
import { savedThreatModel } from './threatmodel-notebook';

export interface PanelActions {
  scan(panel: NotebookPanel): void;
  goTo(panel: NotebookPanel, item: PanelItem): void;
  suppress(panel: NotebookPanel, item: PanelItem): void;
  openThreatModel(panel: NotebookPanel): void;
}

export class SecurityPanel extends Widget {
  constructor(
    private readonly controller: ScanController,
    private readonly actions: PanelActions
  ) {
    super();
    this.id = 'nbsec-security-panel';
    this.addClass('nbsec-panel');
    this.title.caption = 'AI Security (nbsec)';
    controller.changed.connect(() => this.update());
    controller.tracker.currentChanged.connect(() => this.scanIfNew());
  }

  protected onUpdateRequest(): void {
    this.node.textContent = '';
    const current = this.controller.current();
    if (!current) {
      this.node.appendChild(
        h('div', { className: 'nbsec-panel-empty' }, 'Open a notebook to see its security findings here.')
      );
      return;
    }
    const { panel, scan } = current;
    this.node.appendChild(this.header(panel, scan));
    const threatModel = this.threatModelLine(panel);
    if (threatModel) {
      this.node.appendChild(threatModel);
    }
    this.node.appendChild(this.body(panel, scan));
  }

  protected onAfterShow(): void {
    this.scanIfNew();
    this.update();
  }

  /** Opening the panel on a notebook it has not seen scans it: the panel never shows a stale blank. */
  scanIfNew(): void {
    const current = this.controller.current();
    if (this.isVisible && current && current.scan === null) {
      this.actions.scan(current.panel);
    }
  }

  private header(panel: NotebookPanel, scan: NotebookScan | null): HTMLElement {
    const button = h('button', { className: 'jp-mod-styled jp-mod-accept nbsec-panel-scan' }, 'Scan');
    button.addEventListener('click', () => this.actions.scan(panel));
    if (scan?.status === 'scanning') {
      button.setAttribute('disabled', '');
    }
    return h(
      'div',
      { className: 'nbsec-panel-header' },
      h('div', { className: 'nbsec-panel-title' }, 'AI Security'),
      h('div', { className: 'nbsec-panel-path', title: panel.context.path }, panel.context.path),
      button,
      h('div', { className: 'nbsec-panel-status' }, statusText(scan))
    );
  }

  private threatModelLine(panel: NotebookPanel): HTMLElement | null {
    const metadata = panel.content.model?.metadata as Record<string, unknown> | undefined;
    const model = metadata ? savedThreatModel(metadata) : null;
    if (!model) {
      return null;
    }
    const title = typeof model.title === 'string' ? model.title : 'untitled';
    const open = h('button', { className: 'jp-mod-styled nbsec-panel-open-tm' }, 'Open');
    open.addEventListener('click', () => this.actions.openThreatModel(panel));
    return h(
      'div',
      { className: 'nbsec-panel-threatmodel' },
      h('span', {}, 'Threat model saved in this notebook: '),
      h('strong', {}, title),
      open
    );
  }

  private body(panel: NotebookPanel, scan: NotebookScan | null): HTMLElement {
    const body = h('div', { className: 'nbsec-panel-body' });
    if (!scan || scan.status === 'idle') {
      body.appendChild(h('p', {}, 'Not scanned yet. Press Scan, or save the notebook (scan on save is a setting).'));
      return body;
    }
    if (scan.status === 'error' && scan.error) {
      body.appendChild(errorBox(scan.error));
      return body;
    }
    if (scan.status === 'scanning' && !scan.scannedAt) {
      body.appendChild(h('p', { className: 'nbsec-panel-scanning' }, 'Scanning the saved notebook…'));
      return body;
    }
    for (const error of scan.model.errors()) {
      body.appendChild(
        h(
          'div',
          { className: 'nbsec-panel-error' },
          h('strong', {}, `Not scanned: ${error.target}`),
          h('div', {}, error.message),
          error.hint ? h('div', { className: 'nbsec-panel-hint' }, `Hint: ${error.hint}`) : null
        )
      );
    }
    const groups = scan.model.groups();
    if (!groups.length) {
      body.appendChild(h('p', { className: 'nbsec-panel-clean' }, 'No findings at the severity shown.'));
    }
    for (const group of groups) {
      const list = h('ul', { className: 'nbsec-panel-list' });
      for (const item of group.items) {
        list.appendChild(this.itemRow(panel, item));
      }
      const details = h(
        'details',
        { className: 'nbsec-panel-group', dataset: { severity: group.severity } },
        h('summary', {}, `${severityLabel(group.severity)} (${group.items.length})`),
        list
      );
      details.setAttribute('open', '');
      body.appendChild(details);
    }
    const hidden = scan.model.hiddenBySettings();
    if (hidden) {
      body.appendChild(
        h('p', { className: 'nbsec-panel-hidden' }, `${hidden} finding(s) hidden by your settings (minimum severity, excluded rules).`)
      );
    }
    return body;
  }

  private itemRow(panel: NotebookPanel, item: PanelItem): HTMLElement {
    const where = [
      item.cellIndex !== null ? `cell ${item.cellIndex + 1}` : 'notebook',
      item.line !== null ? `line ${item.line}` : null,
      item.output !== null ? `output ${item.output + 1}` : null
    ]
      .filter(Boolean)
      .join(', ');
    const go = h(
      'button',
      { className: 'nbsec-panel-item', title: 'Show this cell', dataset: { rule: item.finding.rule_id } },
      h('span', { className: 'nbsec-panel-rule' }, item.finding.rule_id),
      h('span', { className: 'nbsec-panel-item-title' }, item.finding.title),
      h('span', { className: 'nbsec-panel-where' }, where)
    );
    go.addEventListener('click', () => this.actions.goTo(panel, item));
    const suppress = h('button', { className: 'nbsec-panel-suppress', title: `Suppress ${item.finding.rule_id} here` }, 'Suppress');
    suppress.addEventListener('click', () => this.actions.suppress(panel, item));
    if (item.cellIndex === null) {
      suppress.setAttribute('disabled', '');
    }
    return h('li', { dataset: { severity: item.finding.severity } }, go, suppress);
  }
}

function statusText(scan: NotebookScan | null): string {
  if (!scan || scan.status === 'idle') {
    return '';
  }
  if (scan.status === 'scanning') {
    return 'Scanning…';
  }
  if (scan.status === 'error') {
    return 'The scan failed.';
  }
  const time = scan.scannedAt ? scan.scannedAt.toLocaleTimeString() : '';
  const count = scan.model.count();
  const unsaved = scan.unsavedAtScan ? ' Unsaved changes were not scanned: save to include them.' : '';
  return `${count} finding${count === 1 ? '' : 's'}, scanned at ${time}.${unsaved}`;
}

export function errorBox(error: Error): HTMLElement {
  const hint = (error as { hint?: unknown }).hint;
  return h(
    'div',
    { className: 'nbsec-panel-error', attrs: { role: 'alert' } },
    h('strong', {}, 'nbsec could not scan'),
    h('div', {}, error.message),
    typeof hint === 'string' && hint ? h('div', { className: 'nbsec-panel-hint' }, `Hint: ${hint}`) : null
  );
}
