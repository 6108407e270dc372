// Scans of open notebooks and what follows from them: the panel's model, cell markers, go-to-finding
// and suppression. One controller for the app; the side panel and the status bar only read it.

import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Cell } from '@jupyterlab/cells';
import { ISignal, Signal } from '@lumino/signaling';

import { describeError, NbsecApiError, NbsecClient } from './api-client';
import { CellRef, PanelItem, PanelModel } from './panel-model';
import { Severity } from './report-types';
import { suppressionFor } from './suppress';
import { viewSettings } from './view-settings';

export type ScanStatus = 'idle' | 'scanning' | 'done' | 'error';

export interface NotebookScan {
  status: ScanStatus;
  model: PanelModel;
  error: NbsecApiError | Error | null;
  scannedAt: Date | null;
  /** The notebook had unsaved changes when the scan started: the scan saw the saved file. */
  unsavedAtScan: boolean;
}

export const MARKER_CLASS = 'nbsec-cell-has-finding';
export const HIGHLIGHT_CLASS = 'nbsec-line-highlight';

export class ScanController {
  constructor(
    private readonly client: NbsecClient,
    readonly tracker: INotebookTracker,
    private readonly localPath: (path: string) => string
  ) {
    tracker.widgetAdded.connect((_, panel) => this.watch(panel));
    tracker.currentChanged.connect(() => this._changed.emit(undefined));
  }

  /** Emitted when the current notebook or any notebook's scan state changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  stateOf(panel: NotebookPanel | null): NotebookScan | null {
    return panel ? this.states.get(panel) ?? null : null;
  }

  current(): { panel: NotebookPanel; scan: NotebookScan | null } | null {
    const panel = this.tracker.currentWidget;
    return panel ? { panel, scan: this.stateOf(panel) } : null;
  }

  /** The settings changed: re-filter every scan and redraw the markers. */
  applySettings(): void {
    const settings = viewSettings();
    for (const [panel, state] of this.states) {
      state.model.setSettings({ minSeverity: settings.minSeverity, excludedRules: settings.excludedRules });
      this.updateMarkers(panel, state);
    }
    this._changed.emit(undefined);
  }

  async scan(panel: NotebookPanel): Promise<NotebookScan> {
    await panel.context.ready;
    const state = this.ensureState(panel);
    state.status = 'scanning';
    state.error = null;
    state.unsavedAtScan = panel.context.model.dirty;
    this._changed.emit(undefined);
    try {
      const report = await this.client.scan({ path: this.localPath(panel.context.path) });
      state.model.setReport(report, cellRefs(panel));
      state.status = 'done';
      state.scannedAt = new Date();
    } catch (error) {
      state.status = 'error';
      state.error = error instanceof Error ? error : new Error(describeError(error));
    }
    this.updateMarkers(panel, state);
    this._changed.emit(undefined);
    return state;
  }

  /** Show the finding's cell, select it and highlight its line. */
  async goTo(panel: NotebookPanel, item: PanelItem): Promise<void> {
    if (item.cellIndex === null) {
      return;
    }
    const notebook = panel.content;
    const index = refreshIndex(panel, item);
    if (index === null) {
      return;
    }
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    const cell = notebook.widgets[index];
    await notebook.scrollToCell(cell, 'center');
    cell.node.classList.add('nbsec-cell-flash');
    setTimeout(() => cell.node.classList.remove('nbsec-cell-flash'), 2500);
    if (item.line !== null) {
      highlightLine(cell, item.line);
    }
  }

  /**
   * Write what the CLI reads as a suppression (an inline `# nbsec: ignore[RULE]` or the cell's
   * metadata), then save and scan again so the finding moves to the Report's suppressed list.
   */
  async suppress(panel: NotebookPanel, item: PanelItem): Promise<'inline' | 'metadata' | null> {
    const index = refreshIndex(panel, item);
    const model = panel.content.model;
    if (index === null || !model) {
      return null;
    }
    const cell = model.cells.get(index);
    const edit = suppressionFor(item, {
      type: cell.type,
      source: cell.sharedModel.getSource(),
      metadata: { ...(cell.metadata as Record<string, unknown>) }
    });
    if (edit.kind === 'inline') {
      cell.sharedModel.setSource(edit.source);
    } else {
      cell.setMetadata('nbsec', edit.metadata.nbsec);
    }
    await panel.context.save();
    if (!viewSettings().scanOnSave) {
      await this.scan(panel);
    }
    return edit.kind;
  }

  private readonly states = new Map<NotebookPanel, NotebookScan>();
  private readonly _changed = new Signal<this, void>(this);

  private ensureState(panel: NotebookPanel): NotebookScan {
    let state = this.states.get(panel);
    if (!state) {
      const settings = viewSettings();
      state = {
        status: 'idle',
        model: new PanelModel({ minSeverity: settings.minSeverity, excludedRules: settings.excludedRules }),
        error: null,
        scannedAt: null,
        unsavedAtScan: false
      };
      this.states.set(panel, state);
    }
    return state;
  }

  private watch(panel: NotebookPanel): void {
    panel.context.saveState.connect((_, saveState) => {
      if (saveState === 'completed' && viewSettings().scanOnSave) {
        void this.scan(panel);
      }
    });
    // Cells added or moved since the scan: markers follow the cells (matched by id), not the indexes.
    // The panel draws the notebook's saved threat model: redraw once the file is loaded and when the
    // notebook's metadata changes.
    panel.context.ready.then(() => {
      this._changed.emit(undefined);
      panel.content.model?.metadataChanged.connect(() => this._changed.emit(undefined));
      panel.content.model?.cells.changed.connect(() => {
        const state = this.states.get(panel);
        if (state && state.status === 'done') {
          state.model.setCells(cellRefs(panel));
          this.updateMarkers(panel, state);
          this._changed.emit(undefined);
        }
      });
    });
    panel.disposed.connect(() => {
      this.states.delete(panel);
      this._changed.emit(undefined);
    });
  }

  private updateMarkers(panel: NotebookPanel, state: NotebookScan): void {
    const worst: Map<number, Severity> = state.status === 'done' ? state.model.cellSeverities() : new Map();
    panel.content.widgets.forEach((cell, index) => {
      const severity = worst.get(index);
      cell.node.classList.toggle(MARKER_CLASS, severity !== undefined);
      if (severity !== undefined) {
        cell.node.dataset.nbsecSeverity = severity;
        cell.node.title = `nbsec: ${severity} finding(s) in this cell; see the AI Security panel`;
      } else if (cell.node.dataset.nbsecSeverity) {
        delete cell.node.dataset.nbsecSeverity;
        cell.node.removeAttribute('title');
      }
    });
  }
}

export function cellRefs(panel: NotebookPanel): CellRef[] {
  const cells = panel.content.model?.cells;
  const refs: CellRef[] = [];
  if (!cells) {
    return refs;
  }
  for (let index = 0; index < cells.length; index++) {
    const cell = cells.get(index);
    refs.push({ id: cell.id, index, type: cell.type as CellRef['type'] });
  }
  return refs;
}

// The panel model matched the finding to a cell (by id, then index) and matches again whenever cells
// move (setCells on cells.changed), so its index is current; it only needs to still be in range.
function refreshIndex(panel: NotebookPanel, item: PanelItem): number | null {
  const count = panel.content.model?.cells.length ?? 0;
  return item.cellIndex !== null && item.cellIndex < count ? item.cellIndex : null;
}

function highlightLine(cell: Cell, line: number): void {
  const editor = cell.editor;
  if (!editor) {
    return;
  }
  const lineIndex = Math.min(Math.max(line - 1, 0), Math.max(editor.lineCount - 1, 0));
  editor.setCursorPosition({ line: lineIndex, column: 0 });
  editor.revealPosition({ line: lineIndex, column: 0 });
  // CodeMirror renders one .cm-line element per visible line; a cell is short enough to have them all.
  const lines = cell.node.querySelectorAll('.cm-content .cm-line');
  lines.forEach(el => el.classList.remove(HIGHLIGHT_CLASS));
  const target = lines[lineIndex];
  if (target) {
    target.classList.add(HIGHLIGHT_CLASS);
    setTimeout(() => target.classList.remove(HIGHLIGHT_CLASS), 4000);
  }
}
