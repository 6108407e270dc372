// One finding's cells and its detail: shared by the findings table (report-view.ts) and the suppressed
// list (report-suppressed.ts), so a finding reads the same wherever it is shown. Text only: titles,
// evidence, paths and tags come from scanned files; references link only to http(s) pages.
import { h, link } from './dom';
import { describeLocation, locationParts } from './report-location';
import { referenceLabel, referenceUrl } from './references';
import type { Finding, Location, Severity } from './report-types';
import { severityLabel } from './severity';

/** The severity badge's cell; `severity` has passed the guard, so the class suffix is one of five. */
export function severityCell(severity: Severity): HTMLTableCellElement {
  return h('td', { className: 'nbsec-col-severity' }, h('span', { className: `nbsec-badge nbsec-sev-${severity}` }, severityLabel(severity)));
}

/** The path (with its archive member) in code font, then 'cell 5 [3]', 'line 2'... */
export function locationCell(location: Location): HTMLTableCellElement {
  const { path, parts } = locationParts(location);
  return h(
    'td',
    { className: 'nbsec-col-location' },
    h('span', { className: 'nbsec-loc-path' }, path),
    parts.map(part => [', ', h('span', { className: 'nbsec-loc-part' }, part)])
  );
}

/** Evidence, fix, references, tags, location, confidence and fingerprint; an "Open" button with `onOpen`. */
export function findingDetail(f: Finding, onOpen?: (location: Location) => void): HTMLElement {
  const body = h('div', { className: 'nbsec-detail' });
  if (f.evidence) {
    body.appendChild(h('pre', { className: 'nbsec-evidence' }, f.evidence));
  }
  if (f.remediation) {
    body.appendChild(h('div', { className: 'nbsec-remediation' }, h('strong', null, 'Fix: '), f.remediation));
  }
  if (f.references.length) {
    const links = f.references.map((ref, i) => [i ? ', ' : '', link(referenceLabel(ref), referenceUrl(ref), { className: 'nbsec-reference' })]);
    body.appendChild(h('div', { className: 'nbsec-references' }, h('strong', null, 'References: '), links));
  }
  if (f.tags?.length) {
    body.appendChild(h('div', { className: 'nbsec-tags' }, h('strong', null, 'Tags: '), f.tags.map(tag => h('span', { className: 'nbsec-tag' }, tag))));
  }
  body.appendChild(h('div', { className: 'nbsec-detail-location' }, h('strong', null, 'Location: '), describeLocation(f.location)));
  body.appendChild(
    h('div', { className: 'nbsec-detail-meta' }, `${f.confidence} confidence · fingerprint `, h('code', { className: 'nbsec-fingerprint' }, f.fingerprint))
  );
  if (onOpen) {
    const button = h('button', { className: 'nbsec-button nbsec-open', title: `Open ${describeLocation(f.location)}`, attrs: { type: 'button' } }, 'Open');
    button.addEventListener('click', event => {
      event.stopPropagation(); // the row's click would fold the detail
      onOpen(f.location);
    });
    body.appendChild(button);
  }
  return body;
}
