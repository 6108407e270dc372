import * as fs from 'fs';
import * as path from 'path';

import { referenceLabel, referenceUrl } from '../references';
import type { NbsecReportV1, Reference } from '../report-types';

const sample: NbsecReportV1 = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'report-sample.json'), 'utf-8'));

describe('referenceUrl', () => {
  test("uses the reference's own http(s) url", () => {
    expect(referenceUrl({ framework: 'OSV', id: 'GHSA-xxxx', url: 'https://osv.dev/vulnerability/GHSA-xxxx' })).toBe(
      'https://osv.dev/vulnerability/GHSA-xxxx'
    );
  });

  test('never returns a javascript: or data: url from the data', () => {
    expect(referenceUrl({ framework: 'Vendor', id: 'X-1', url: 'javascript:alert(1)' })).toBeNull();
    expect(referenceUrl({ framework: 'Vendor', id: 'X-1', url: 'data:text/html,<script>alert(1)</script>' })).toBeNull();
    // A known framework still gets its canonical page in place of the hostile url.
    expect(referenceUrl({ framework: 'CWE', id: 'CWE-79', url: 'javascript:alert(1)' })).toBe('https://cwe.mitre.org/data/definitions/79.html');
  });

  test.each<[Reference, string | null]>([
    [{ framework: 'MITRE ATLAS', id: 'AML.T0011.000' }, 'https://atlas.mitre.org/techniques/AML.T0011.000'],
    [{ framework: 'MITRE ATLAS', id: 'AML.T0051' }, 'https://atlas.mitre.org/techniques/AML.T0051'],
    [{ framework: 'MITRE ATLAS', id: 'AML.M0014' }, 'https://atlas.mitre.org/mitigations/AML.M0014'],
    [{ framework: 'MITRE ATLAS', id: 'AML.TA0002' }, 'https://atlas.mitre.org/tactics/AML.TA0002'],
    [{ framework: 'MITRE ATLAS', id: 'AML.T0011/../../evil' }, null],
    [{ framework: 'CWE', id: 'CWE-502' }, 'https://cwe.mitre.org/data/definitions/502.html'],
    [{ framework: 'CWE', id: '94' }, 'https://cwe.mitre.org/data/definitions/94.html'],
    [{ framework: 'CWE', id: 'CWE-abc' }, null],
    [{ framework: 'OWASP LLM Top 10', id: 'LLM05:2025' }, 'https://genai.owasp.org/llm-top-10/'],
    [{ framework: 'OWASP ML Top 10', id: 'ML06:2023' }, 'https://owasp.org/www-project-machine-learning-security-top-10/'],
    [{ framework: 'NIST AI RMF', id: 'MEASURE 2.10' }, 'https://airc.nist.gov/airmf-resources/airmf/5-sec-core/'],
    [{ framework: 'ISO/IEC 42001', id: 'A.6.2.8' }, 'https://www.iso.org/standard/81230.html'],
    [{ framework: 'EU AI Act', id: 'Art. 10' }, 'https://eur-lex.europa.eu/eli/reg/2024/1689/oj#art_10'],
    [{ framework: 'EU AI Act', id: 'Art. 15(5)' }, 'https://eur-lex.europa.eu/eli/reg/2024/1689/oj#art_15'],
    [{ framework: 'EU AI Act', id: 'Annex III(4)' }, 'https://eur-lex.europa.eu/eli/reg/2024/1689/oj#anx_III'],
    [{ framework: 'CVE', id: 'CVE-2024-12345' }, 'https://nvd.nist.gov/vuln/detail/CVE-2024-12345'],
    [{ framework: 'OSV', id: 'PYSEC-2021-1' }, 'https://osv.dev/vulnerability/PYSEC-2021-1'],
    [{ framework: 'Internal wiki', id: 'SEC-1' }, null],
    [{ framework: 'mitre atlas', id: 'AML.T0051' }, null]
  ])('%j -> %s', (ref, url) => {
    expect(referenceUrl(ref)).toBe(url);
  });

  test('every reference in a real report gets a link, and keeps the url nbsec gave it', () => {
    const refs = sample.findings.flatMap(f => f.references);
    expect(refs.length).toBeGreaterThan(20);
    for (const ref of refs) {
      const url = referenceUrl(ref);
      expect(url).toMatch(/^https:\/\//);
      if (ref.url) {
        expect(url).toBe(ref.url);
      }
    }
  });
});

describe('referenceLabel', () => {
  test('names the framework only when the id does not', () => {
    expect(referenceLabel({ framework: 'CWE', id: 'CWE-502' })).toBe('CWE-502');
    expect(referenceLabel({ framework: 'OWASP ML Top 10', id: 'ML06:2023' })).toBe('OWASP ML Top 10 ML06:2023');
  });
});
