// One place that turns nbsec's MIME data into DOM, for the MIME renderers and the scan tabs alike.

import { renderReport, ReportViewOptions } from './report-view';
import { Location } from './report-types';
import { renderThreatModel } from './threatmodel-view';
import { viewSettings } from './view-settings';

export const REPORT_MIME = 'application/vnd.nbsec.report.v1+json';

export function reportOptions(onOpenLocation?: (location: Location) => void): ReportViewOptions {
  const settings = viewSettings();
  return { minSeverity: settings.minSeverity, excludedRules: settings.excludedRules, onOpenLocation };
}

export function renderReportInto(host: HTMLElement, data: unknown): void {
  host.appendChild(renderReport(data, reportOptions()));
}

export function renderThreatModelInto(host: HTMLElement, data: unknown): void {
  host.appendChild(renderThreatModel(data, { collapsed: true }));
}
