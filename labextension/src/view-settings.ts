// The user's display settings, shared by the side panel, the scan tabs and the MIME renderers.
//
// The MIME renderers are a separate JupyterLab entry point with no access to the settings registry;
// both entry points are modules of one bundle, so this module-level value is the one the main plugin
// keeps up to date from the settings editor.

import { Severity } from './report-types';
import { isSeverity } from './severity';

export interface ViewSettings {
  scanOnSave: boolean;
  minSeverity: Severity;
  excludedRules: string[];
}

export const DEFAULT_SETTINGS: ViewSettings = { scanOnSave: true, minSeverity: 'info', excludedRules: [] };

let current: ViewSettings = { ...DEFAULT_SETTINGS };

/** Settings from the registry, checked: a hand-edited value of the wrong type falls back to the default. */
export function parseSettings(raw: Record<string, unknown>): ViewSettings {
  const minSeverity = isSeverity(raw.minSeverity) ? raw.minSeverity : DEFAULT_SETTINGS.minSeverity;
  const rules = Array.isArray(raw.excludedRules) ? raw.excludedRules : [];
  return {
    scanOnSave: typeof raw.scanOnSave === 'boolean' ? raw.scanOnSave : DEFAULT_SETTINGS.scanOnSave,
    minSeverity,
    excludedRules: rules.filter((r): r is string => typeof r === 'string').map(r => r.trim().toUpperCase()).filter(Boolean)
  };
}

export function viewSettings(): ViewSettings {
  return current;
}

export function setViewSettings(settings: ViewSettings): void {
  current = settings;
}
