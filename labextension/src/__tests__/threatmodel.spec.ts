// The threat model in the notebook (finding the newest output, saving it into metadata.nbsec.threat_model
// as the CLI reads it) and its renderer, which must show a hostile model as text.
import {
  THREAT_MODEL_MIME,
  hasSavedThreatModel,
  isThreatModel,
  latestThreatModel,
  savedThreatModel,
  threatModelsEqual,
  withThreatModel
} from '../threatmodel-notebook';
import { renderThreatModel } from '../threatmodel-view';
import sample from './fixtures/threatmodel-sample.json';

const INJECTION = '<img src=x onerror=alert(1)>';

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value));
}

function modelOutput(model: unknown): Record<string, unknown> {
  return {
    output_type: 'display_data',
    data: { [THREAT_MODEL_MIME]: model, 'text/plain': 'nbsec threat model' },
    metadata: {}
  };
}

function titled(title: string): Record<string, unknown> {
  return { ...copy(sample), title };
}

describe('isThreatModel', () => {
  test('accepts what ThreatModel.to_dict() writes', () => {
    expect(isThreatModel(sample)).toBe(true);
    expect(isThreatModel({ nbsec_threat_model: 1, title: 'empty', elements: [], flows: [] })).toBe(true);
  });

  test.each([
    ['null', null],
    ['a list', [sample]],
    ['a string', JSON.stringify(sample)],
    ['no format key', { ...copy(sample), nbsec_threat_model: undefined }],
    ['another version', { ...copy(sample), nbsec_threat_model: 2 }],
    ['the version as text', { ...copy(sample), nbsec_threat_model: '1' }],
    ['no elements', { nbsec_threat_model: 1, flows: [] }],
    ['elements not a list', { nbsec_threat_model: 1, elements: { a: 1 } }],
    ['an element that is not an object', { nbsec_threat_model: 1, elements: ['x'] }],
    ['flows not a list', { nbsec_threat_model: 1, elements: [], flows: 'x' }],
    ['a title that is an object', { nbsec_threat_model: 1, elements: [], title: { a: 1 } }]
  ])('rejects %s', (_, data) => {
    expect(isThreatModel(data)).toBe(false);
  });
});

describe('latestThreatModel', () => {
  const older = titled('older');
  const newer = titled('newer');

  test('the last cell first, and within a cell the last output first', () => {
    const cells = [
      { outputs: [modelOutput(older)] },
      { outputs: [modelOutput(older), { output_type: 'stream', text: 'x' }, modelOutput(newer)] },
      { outputs: [{ output_type: 'stream', text: 'later' }] },
      {} // a markdown cell
    ];
    expect(latestThreatModel(cells)?.title).toBe('newer');
  });

  test('null when no output carries a model', () => {
    expect(latestThreatModel([])).toBeNull();
    expect(latestThreatModel([{ outputs: [{ output_type: 'stream', text: 'x' }] }, { outputs: 'nope' }])).toBeNull();
  });

  test('a malformed newest model is not replaced by an older one', () => {
    const cells = [{ outputs: [modelOutput(older)] }, { outputs: [modelOutput({ nbsec_threat_model: 1 })] }];
    expect(latestThreatModel(cells)).toBeNull();
  });
});

describe('saving into notebook metadata', () => {
  test('the model goes to metadata.nbsec.threat_model; other keys stay; nothing is mutated', () => {
    const metadata = Object.freeze({
      kernelspec: { name: 'python3' },
      nbsec: Object.freeze({ scan_on_save: true, threat_model: { stale: true } })
    });
    const saved = withThreatModel(metadata, sample);
    expect(saved.kernelspec).toEqual({ name: 'python3' });
    expect((saved.nbsec as Record<string, unknown>).scan_on_save).toBe(true);
    expect((saved.nbsec as Record<string, unknown>).threat_model).toEqual(sample);
    expect((saved.nbsec as Record<string, unknown>).threat_model).not.toBe(sample);
    expect(metadata.nbsec.threat_model).toEqual({ stale: true });
    expect(savedThreatModel(saved)).toEqual(sample);
  });

  test('no nbsec entry yet, or one that is not an object', () => {
    expect(withThreatModel({}, sample)).toEqual({ nbsec: { threat_model: sample } });
    expect(withThreatModel({ nbsec: 'junk' }, sample)).toEqual({ nbsec: { threat_model: sample } });
  });

  test('refuses to save something the CLI would reject', () => {
    expect(() => withThreatModel({}, { title: 'x' })).toThrow(/nbsec_threat_model/);
  });

  test('savedThreatModel is null for nothing or a malformed save, which still counts as saved', () => {
    expect(savedThreatModel({})).toBeNull();
    expect(savedThreatModel({ nbsec: { threat_model: null } })).toBeNull();
    expect(hasSavedThreatModel({ nbsec: { threat_model: null } })).toBe(false);
    const broken = { nbsec: { threat_model: { elements: 3 } } };
    expect(savedThreatModel(broken)).toBeNull();
    expect(hasSavedThreatModel(broken)).toBe(true);
  });

  test('threatModelsEqual ignores key order', () => {
    const reordered = Object.fromEntries(Object.entries(copy(sample)).reverse());
    expect(threatModelsEqual(sample, reordered)).toBe(true);
    expect(threatModelsEqual(sample, titled('other'))).toBe(false);
  });
});

describe('renderThreatModel', () => {
  const view = renderThreatModel(sample);
  const text = view.textContent ?? '';

  test('shows the title, owner, description and every zone with its trust', () => {
    expect(view.querySelector('.nbsec-tm-title')?.textContent).toBe('Support assistant (nbsec demo)');
    expect(text).toContain('Owner: ml-platform');
    expect(view.querySelector('.nbsec-tm-description')?.textContent).toContain('fine-tuned on support tickets');
    const zones = [...view.querySelectorAll('.nbsec-tm-zone')];
    expect(zones.map(z => z.querySelector('strong')?.textContent)).toEqual([
      'Customers',
      'Model hub and LLM vendor',
      'Data science lab',
      'Production'
    ]);
    expect(zones[0].querySelector('.nbsec-tm-trust')?.textContent).toBe('untrusted');
    expect(zones[0].querySelector('.nbsec-tm-trust-untrusted')).not.toBeNull();
  });

  test('groups elements by zone, with kind, attributes and controls', () => {
    const production = [...view.querySelectorAll('.nbsec-tm-zone')][3];
    const names = [...production.querySelectorAll('.nbsec-tm-name')].map(n => n.textContent);
    expect(names).toEqual(['Support assistant', 'Help-centre index', 'Ticketing API', 'Chat API']);
    const chat = [...production.querySelectorAll('.nbsec-tm-element')][3];
    expect(chat.querySelector('.nbsec-tm-kind')?.textContent).toBe('serving endpoint');
    expect(chat.querySelector('.nbsec-tm-attributes')?.textContent).toContain('public');
    expect(chat.querySelector('.nbsec-tm-controls')?.textContent).toBe('authentication');
  });

  test('lists every flow and marks the ones crossing a trust boundary (as the CLI decides)', () => {
    const rows = view.querySelectorAll('.nbsec-tm-flows tbody tr');
    expect(rows).toHaveLength(12);
    const crossing = [...view.querySelectorAll('.nbsec-tm-flows tr.nbsec-tm-crossing')];
    // nbsec.threatmodel.conditions.Graph.crosses over the same model
    expect(crossing.map(r => r.querySelector('.nbsec-tm-endpoint-name')?.textContent)).toEqual([
      'example-org/chat-model',
      'checkpoints/finetuned.pt',
      'Customer',
      'Chat API'
    ]);
    expect(crossing[0].textContent).toContain('crosses a trust boundary (vendor → lab)');
  });

  test('a declared crosses_boundary wins over the zones', () => {
    const model = copy(sample) as { flows: Record<string, unknown>[] };
    model.flows[0].attributes = { crosses_boundary: true }; // tickets -> notebook, both in the lab
    model.flows[1].attributes = { crosses_boundary: false }; // hub -> lab
    const rows = [...renderThreatModel(model).querySelectorAll('.nbsec-tm-flows tbody tr')];
    expect(rows[0].classList.contains('nbsec-tm-crossing')).toBe(true);
    expect(rows[1].classList.contains('nbsec-tm-crossing')).toBe(false);
  });

  test('shows system-wide controls and the threat decisions', () => {
    expect(view.querySelector('.nbsec-tm-global-controls')?.textContent).toContain('dependency pinning');
    const threats = [...view.querySelectorAll('.nbsec-tm-threats tbody tr')];
    expect(threats).toHaveLength(3);
    expect(threats[0].textContent).toContain('NBSEC-TM-006');
    expect(threats[0].textContent).toContain('checkpoints/finetuned.pt');
    expect(threats[0].textContent).toContain('2026-11-30');
    expect(threats[1].querySelector('.nbsec-tm-status-accepted')?.textContent).toBe('accepted');
  });

  test('draws zones, elements and flows in an SVG diagram', () => {
    const svg = view.querySelector('svg');
    expect(svg).not.toBeNull();
    expect(svg?.querySelectorAll('.nbsec-tm-svg-zone')).toHaveLength(4);
    expect(svg?.querySelectorAll('.nbsec-tm-svg-box')).toHaveLength(11);
    expect(svg?.querySelectorAll('.nbsec-tm-svg-flow')).toHaveLength(12);
    expect(svg?.querySelectorAll('.nbsec-tm-svg-crossing')).toHaveLength(4);
  });

  test('says when the model shown is the one saved in the notebook', () => {
    expect(view.querySelector('.nbsec-tm-saved')).toBeNull();
    expect(renderThreatModel(sample, { savedInMetadata: true }).querySelector('.nbsec-tm-saved')).not.toBeNull();
  });

  test('markup in the model stays text: no element, no event-handler attribute', () => {
    const model = copy(sample) as Record<string, any>;
    model.title = INJECTION;
    model.owner = INJECTION;
    model.description = INJECTION;
    model.zones[0].name = INJECTION;
    model.zones[0].trust = INJECTION;
    model.elements[0].name = INJECTION;
    model.elements[0].kind = INJECTION;
    model.elements[0].attributes = { [INJECTION]: INJECTION, onclick: true };
    model.elements[1].controls = [INJECTION];
    model.flows[0].data = INJECTION;
    model.threats[0].note = INJECTION;
    model.threats[0].status = INJECTION;
    const node = renderThreatModel(model);
    document.body.appendChild(node);
    expect(node.querySelector('img, script, iframe')).toBeNull();
    for (const element of [node, ...node.querySelectorAll('*')]) {
      for (const attribute of element.getAttributeNames()) {
        expect(attribute.toLowerCase().startsWith('on')).toBe(false);
      }
      expect(element.getAttribute('class') ?? '').not.toContain('<');
    }
    expect(node.querySelector('.nbsec-tm-title')?.textContent).toBe(INJECTION);
    expect(node.textContent?.split(INJECTION).length).toBeGreaterThan(8);
    node.remove();
  });

  test.each([
    ['null', null],
    ['a string', INJECTION],
    ['an object without the format key', { title: INJECTION }],
    ['elements that are not a list', { nbsec_threat_model: 1, elements: INJECTION }]
  ])('malformed data (%s) gives an error box, not an exception', (_, data) => {
    const node = renderThreatModel(data);
    expect(node.classList.contains('nbsec-tm-error')).toBe(true);
    expect(node.getAttribute('role')).toBe('alert');
    expect(node.querySelector('img')).toBeNull();
  });

  test('odd values inside a valid model are shown as far as they go', () => {
    const model = {
      nbsec_threat_model: 1,
      title: 42,
      elements: [{ id: 'a', kind: 'llm', name: { nested: true }, zone: 'nowhere', attributes: 'x', controls: 'y' }],
      flows: [{ from: 'a', to: 'missing', data: ['x'] }],
      threats: [{ id: 'custom', title: 'Custom threat', likelihood: 3 }]
    };
    const node = renderThreatModel(model);
    expect(node.classList.contains('nbsec-tm-error')).toBe(false);
    expect(node.querySelector('.nbsec-tm-title')?.textContent).toBe('42');
    expect(node.querySelector('.nbsec-tm-zone')?.textContent).toContain('not declared');
    expect(node.querySelector('.nbsec-tm-unknown')?.textContent).toContain('missing');
    expect(node.querySelector('.nbsec-tm-threats')?.textContent).toContain('likelihood 3');
  });
});

describe('the collapsed form (notebook outputs, under the live builder)', () => {
  test('shows the title and the save hint, with the model inside a closed <details>', () => {
    const node = renderThreatModel(sample, { collapsed: true });
    expect(node.querySelector('.nbsec-tm-title')?.textContent).toBe(sample.title);
    expect(node.querySelector('.nbsec-tm-hint')?.textContent).toContain('Save the threat model into the notebook');
    const details = node.querySelector('details.nbsec-tm-details') as HTMLDetailsElement;
    expect(details).not.toBeNull();
    expect(details.open).toBe(false);
    // Every element of the model is still there, inside the details.
    for (const element of sample.elements) {
      expect(details.textContent).toContain(element.name);
    }
    expect(node.querySelector(':scope > .nbsec-tm-header')).not.toBeNull();
  });

  test('the full form has no details wrapper', () => {
    expect(renderThreatModel(sample).querySelector('details.nbsec-tm-details')).toBeNull();
  });
});
