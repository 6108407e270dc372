// The status-bar item: the active notebook's finding count, worst severity first. Click: the panel.

import { Widget } from '@lumino/widgets';

import { ScanController } from './controller';

export class FindingCount extends Widget {
  constructor(
    private readonly controller: ScanController,
    onClick: () => void
  ) {
    super();
    this.addClass('nbsec-statusbar-count');
    this.node.title = 'nbsec findings in this notebook (click for the AI Security panel)';
    this.node.addEventListener('click', onClick);
    controller.changed.connect(() => this.update());
    this.update();
  }

  protected onUpdateRequest(): void {
    const current = this.controller.current();
    const scan = current?.scan;
    let text = 'nbsec: not scanned';
    let severity = '';
    if (!current) {
      text = '';
    } else if (scan?.status === 'scanning') {
      text = 'nbsec: scanning…';
    } else if (scan?.status === 'error') {
      text = 'nbsec: scan failed';
      severity = 'error';
    } else if (scan?.status === 'done') {
      const count = scan.model.count();
      const groups = scan.model.groups();
      severity = groups.length ? groups[0].severity : 'clean';
      text = `nbsec: ${count} finding${count === 1 ? '' : 's'}`;
    }
    this.node.textContent = text;
    this.node.dataset.severity = severity;
  }
}
