// nbsec's JupyterLab / Notebook 7 extension: the AI Security side panel, its status-bar count, "Scan
// with nbsec" in the file browser, scan results in main-area tabs, and threat models saved into the
// notebook's metadata. The Report and threat-model renderers are the mimeExtension (mime.ts).

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification, showDialog, Dialog } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { createClient } from './api';
import { describeError, NbsecClient } from './api-client';
import { ScanController } from './controller';
import { SecurityPanel, errorBox } from './panel';
import { PanelItem } from './panel-model';
import { renderReport } from './report-view';
import { reportOptions } from './render';
import { FindingCount } from './statusbar';
import { latestThreatModel, savedThreatModel, withThreatModel } from './threatmodel-notebook';
import { renderThreatModel } from './threatmodel-view';
import { parseSettings, setViewSettings } from './view-settings';

const PLUGIN_ID = 'nbsec:plugin';

export namespace CommandIDs {
  export const openPanel = 'nbsec:open-panel';
  export const scanNotebook = 'nbsec:scan-notebook';
  export const scanPath = 'nbsec:scan-path';
  export const saveThreatModel = 'nbsec:save-threat-model';
  export const openThreatModel = 'nbsec:open-threat-model';
}

const CATEGORY = 'AI Security (nbsec)';

const shieldIcon = new LabIcon({
  name: 'nbsec:shield',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path class="jp-icon3" fill="#616161" ' +
    'd="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3zm0 2.2 6 2.2V11c0 3.9-2.5 7.6-6 8.9-3.5-1.3-6-5-6-8.9V6.4l6-2.2z' +
    'M11 7h2v6h-2zm0 8h2v2h-2z"/></svg>'
});

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'AI Security panel, file-browser scans and threat models in notebooks (nbsec).',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, ISettingRegistry, IStatusBar, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    statusBar: IStatusBar | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const client = createClient(app.serviceManager.serverSettings);
    const contents = app.serviceManager.contents;
    const controller = new ScanController(client, tracker, path => contents.localPath(path));

    const panel = new SecurityPanel(controller, {
      scan: nb => void controller.scan(nb),
      goTo: (nb, item) => {
        app.shell.activateById(nb.id);
        void controller.goTo(nb, item);
      },
      suppress: (nb, item) => void confirmSuppress(controller, nb, item),
      openThreatModel: nb => openSavedThreatModel(app, nb)
    });
    panel.title.icon = shieldIcon;
    app.shell.add(panel, 'right', { rank: 650 });

    if (statusBar) {
      const item = new FindingCount(controller, () => app.shell.activateById(panel.id));
      statusBar.registerStatusItem('nbsec:finding-count', {
        item,
        align: 'left',
        rank: 4,
        isActive: () => tracker.currentWidget !== null
      });
    }

    if (settingRegistry) {
      settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          const apply = () => {
            setViewSettings(parseSettings(settings.composite as Record<string, unknown>));
            controller.applySettings();
          };
          settings.changed.connect(apply);
          apply();
        })
        .catch(reason => console.error('nbsec: could not load its settings', reason));
    }

    const notebookOpen = () => tracker.currentWidget !== null;

    app.commands.addCommand(CommandIDs.openPanel, {
      label: 'Show the AI Security panel',
      caption: 'The nbsec findings of the active notebook',
      icon: shieldIcon,
      execute: () => app.shell.activateById(panel.id)
    });

    app.commands.addCommand(CommandIDs.scanNotebook, {
      label: 'Scan the notebook with nbsec',
      caption: 'Scan the saved notebook for secrets, unsafe code and PII; results in the AI Security panel',
      icon: shieldIcon,
      isEnabled: notebookOpen,
      execute: async () => {
        const nb = tracker.currentWidget;
        if (!nb) {
          return;
        }
        app.shell.activateById(panel.id);
        const state = await controller.scan(nb);
        if (state.status === 'error' && state.error) {
          Notification.error(describeError(state.error), { autoClose: false });
        }
      }
    });

    app.commands.addCommand(CommandIDs.scanPath, {
      label: args => (args.path ? `Scan ${String(args.path)} with nbsec` : 'Scan with nbsec'),
      caption: 'Scan the selected files or folders (models, notebooks, folders); results open in a tab',
      icon: shieldIcon,
      execute: args => {
        const paths = pathsToScan(args, fileBrowser);
        for (const path of paths) {
          openScanTab(app, client, contents.localPath(path));
        }
      }
    });

    app.commands.addCommand(CommandIDs.saveThreatModel, {
      label: 'Save the threat model into the notebook',
      caption: "Keep the newest `%aisec threatmodel` output in the notebook's metadata (nbsec scan reads it)",
      isEnabled: notebookOpen,
      execute: async () => {
        const nb = tracker.currentWidget;
        if (nb) {
          await saveThreatModel(nb);
          controller.applySettings();
        }
      }
    });

    app.commands.addCommand(CommandIDs.openThreatModel, {
      label: "Open the notebook's saved threat model",
      caption: "Show the threat model kept in the notebook's metadata",
      isEnabled: notebookOpen,
      execute: () => {
        const nb = tracker.currentWidget;
        if (nb) {
          openSavedThreatModel(app, nb);
        }
      }
    });

    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category: CATEGORY });
      }
    }
  }
};

// From the file browser's context menu: the selected items; from the palette: the selection, or the
// folder the browser shows when nothing is selected.
function pathsToScan(args: Record<string, unknown>, browser: IDefaultFileBrowser | null): string[] {
  if (typeof args.path === 'string') {
    return [args.path];
  }
  if (!browser) {
    return [];
  }
  const selected = Array.from(browser.selectedItems()).map(item => item.path);
  return selected.length ? selected : [browser.model.path];
}

function openScanTab(app: JupyterFrontEnd, client: NbsecClient, path: string): void {
  const content = new Widget();
  content.addClass('nbsec-scan-tab');
  const widget = new MainAreaWidget({ content });
  widget.id = `nbsec-scan-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  widget.title.label = `nbsec: ${path || '/'}`;
  widget.title.icon = shieldIcon;
  widget.title.closable = true;
  const started = Date.now();
  const progress = document.createElement('p');
  progress.className = 'nbsec-scan-progress';
  content.node.appendChild(progress);
  const tick = () => {
    progress.textContent = `Scanning ${path || 'the server root'}… ${Math.round((Date.now() - started) / 1000)} s`;
  };
  tick();
  const timer = setInterval(tick, 1000);
  app.shell.add(widget, 'main');
  app.shell.activateById(widget.id);
  client
    .scan({ path })
    .then(report => {
      content.node.textContent = '';
      content.node.appendChild(renderReport(report, reportOptions()));
    })
    .catch(error => {
      content.node.textContent = '';
      content.node.appendChild(errorBox(error instanceof Error ? error : new Error(describeError(error))));
    })
    .finally(() => clearInterval(timer));
}

async function confirmSuppress(controller: ScanController, nb: NotebookPanel, item: PanelItem): Promise<void> {
  const rule = item.finding.rule_id;
  const where = item.cellIndex !== null ? `cell ${item.cellIndex + 1}` : 'the notebook';
  const result = await showDialog({
    title: `Suppress ${rule}?`,
    body:
      `nbsec will stop reporting ${rule} in ${where}: it writes "# nbsec: ignore[${rule}]" on the line, ` +
      "or the rule into the cell's metadata where there is no line to comment, then saves and scans again. " +
      'The finding stays in the Report as suppressed.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Suppress' })]
  });
  if (!result.button.accept) {
    return;
  }
  const how = await controller.suppress(nb, item);
  if (how === null) {
    Notification.warning(`${rule}: its cell is no longer in the notebook; scan again`, { autoClose: 5000 });
  }
}

async function saveThreatModel(nb: NotebookPanel): Promise<void> {
  const model = nb.content.model;
  if (!model) {
    return;
  }
  const cells = [];
  for (let index = 0; index < model.cells.length; index++) {
    cells.push(model.cells.get(index).toJSON());
  }
  const threatModel = latestThreatModel(cells as Array<{ outputs?: unknown }>);
  if (!threatModel) {
    Notification.warning(
      'No threat model in this notebook: run `%aisec threatmodel FILE` (or the builder) first, then save it into the notebook.',
      { autoClose: 8000 }
    );
    return;
  }
  const metadata = withThreatModel(model.metadata as Record<string, unknown>, threatModel);
  model.setMetadata('nbsec', metadata.nbsec);
  await nb.context.save();
  const title = typeof threatModel.title === 'string' ? threatModel.title : 'threat model';
  Notification.success(`Saved "${title}" into ${nb.context.path}: nbsec scan and nbsec threatmodel import read it.`, {
    autoClose: 5000
  });
}

function openSavedThreatModel(app: JupyterFrontEnd, nb: NotebookPanel): void {
  const saved = savedThreatModel((nb.content.model?.metadata ?? {}) as Record<string, unknown>);
  if (!saved) {
    Notification.info('This notebook has no saved threat model: use "Save the threat model into the notebook".', {
      autoClose: 6000
    });
    return;
  }
  const content = new Widget();
  content.addClass('nbsec-threatmodel-tab');
  content.node.appendChild(renderThreatModel(saved, { savedInMetadata: true }));
  const widget = new MainAreaWidget({ content });
  widget.id = `nbsec-threatmodel-${Date.now()}`;
  widget.title.label = `Threat model: ${nb.context.path}`;
  widget.title.icon = shieldIcon;
  widget.title.closable = true;
  app.shell.add(widget, 'main');
  app.shell.activateById(widget.id);
}

export default plugin;
