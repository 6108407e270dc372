// Where a finding's framework reference points. nbsec.model.taxonomy attaches a URL to the references
// it knows (CWE, MITRE ATLAS, OWASP, NIST) and the supply-chain scanner to advisories (OSV, CVE); a
// reference without one (ISO/IEC 42001, EU AI Act, or a report written by an older nbsec) gets a URL
// built here from the framework and id, using the same public pages as nbsec/data/frameworks/*.json.
// Ids are checked against each framework's id format before they go into a URL, so a hostile id can
// never shape the link; anything unknown stays plain text.
import { safeHttpUrl } from './dom';
import type { Reference } from './report-types';

type UrlBuilder = (id: string) => string | null;

const ATLAS_ID = /^AML\.(TA\d{4}|T\d{4}(\.\d{3})?|M\d{4})$/;
const EU_ARTICLE = /^Art(?:icle|\.)?\s*(\d{1,3})\b/i;
const EU_ANNEX = /^Annex\s+([IVX]{1,5})\b/i;
// The EUR-Lex HTML of Regulation (EU) 2024/1689 marks articles `art_N` and annexes `anx_N`.
const EU_AI_ACT = 'https://eur-lex.europa.eu/eli/reg/2024/1689/oj';

function atlasUrl(id: string): string | null {
  const match = ATLAS_ID.exec(id);
  if (!match) {
    return null;
  }
  // Tactics, techniques (and sub-techniques) and mitigations live under different paths on atlas.mitre.org.
  const section = match[1].startsWith('TA') ? 'tactics' : match[1].startsWith('M') ? 'mitigations' : 'techniques';
  return `https://atlas.mitre.org/${section}/${id}`;
}

function cweUrl(id: string): string | null {
  const match = /^(?:CWE-)?(\d{1,5})$/i.exec(id);
  return match ? `https://cwe.mitre.org/data/definitions/${match[1]}.html` : null;
}

function euAiActUrl(id: string): string | null {
  const article = EU_ARTICLE.exec(id);
  if (article) {
    return `${EU_AI_ACT}#art_${article[1]}`;
  }
  const annex = EU_ANNEX.exec(id);
  if (annex) {
    return `${EU_AI_ACT}#anx_${annex[1].toUpperCase()}`;
  }
  return EU_AI_ACT;
}

// Keys are Reference.framework exactly as nbsec writes it (nbsec/model/taxonomy.py, nbsec/compliance).
const BUILDERS: Record<string, UrlBuilder> = {
  'MITRE ATLAS': atlasUrl,
  CWE: cweUrl,
  // The OWASP lists have one page per edition (per-risk pages have slugs we cannot derive from the id).
  'OWASP LLM Top 10': id => (/^LLM\d{2}(:\d{4})?$/.test(id) ? 'https://genai.owasp.org/llm-top-10/' : null),
  'OWASP ML Top 10': id =>
    /^ML\d{2}(:\d{4})?$/.test(id) ? 'https://owasp.org/www-project-machine-learning-security-top-10/' : null,
  'NIST AI RMF': id =>
    /^(GOVERN|MAP|MEASURE|MANAGE)(\s\d{1,2}(\.\d{1,2})?)?$/.test(id)
      ? 'https://airc.nist.gov/airmf-resources/airmf/5-sec-core/'
      : null,
  // ISO sells the standard: its catalogue page is the one public page for every control.
  'ISO/IEC 42001': id => (/^A\.\d{1,2}(\.\d{1,2}){0,2}$/.test(id) ? 'https://www.iso.org/standard/81230.html' : null),
  'EU AI Act': euAiActUrl,
  OSV: id => (/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/.test(id) ? `https://osv.dev/vulnerability/${id}` : null),
  CVE: id => (/^CVE-\d{4}-\d{4,}$/.test(id) ? `https://nvd.nist.gov/vuln/detail/${id}` : null)
};

/** The page a reference points at: its own url when that is http(s), else one built from a known framework. */
export function referenceUrl(ref: Reference): string | null {
  const own = safeHttpUrl(ref.url);
  if (own !== null) {
    return own;
  }
  const build = BUILDERS[ref.framework];
  if (!build || typeof ref.id !== 'string') {
    return null;
  }
  return safeHttpUrl(build(ref.id.trim()));
}

/** 'CWE-502', 'OWASP ML Top 10 ML06:2023': the framework only where the id does not already name it (as nbsec's reporters). */
export function referenceLabel(ref: Reference): string {
  if (ref.id.toUpperCase().startsWith(ref.framework.toUpperCase())) {
    return ref.id;
  }
  return `${ref.framework} ${ref.id}`;
}
