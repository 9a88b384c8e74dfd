import { IMPLICIT_FLOW, RECOMMENDED_FLOW } from '../../src/implicit/flows';
import { renderSequenceDiagram, type SequenceDiagram } from '../../src/implicit/sequence-diagram';

// A pure function: no app needed. It lives beside the page tests that rely on it.
describe('rendering a sequence diagram as SVG', () => {
  const diagram: SequenceDiagram = {
    id: 'sample',
    title: 'A <b>sample</b>',
    description: 'Browser & app',
    participants: [
      { id: 'b', label: 'Browser' },
      { id: 'a', label: 'App\n"quoted"' },
    ],
    steps: [
      { from: 'b', to: 'a', text: 'GET /?x=<script>' },
      { from: 'a', to: 'b', text: 'answer', reply: true },
      { from: 'b', to: 'b', text: 'think', exposes: true },
    ],
  };

  it('escapes every text it draws', () => {
    const svg = renderSequenceDiagram(diagram);
    expect(svg).toContain('<title id="sample-title">A &lt;b&gt;sample&lt;/b&gt;</title>');
    expect(svg).toContain('<desc id="sample-desc">Browser &amp; app</desc>');
    expect(svg).toContain('1. GET /?x=&lt;script&gt;');
    expect(svg).toContain('&quot;quoted&quot;');
    expect(svg).not.toContain('<script>');
  });

  it('numbers the steps, dashes the answers and marks the exposed steps', () => {
    const svg = renderSequenceDiagram(diagram);
    expect(svg).toContain('2. answer');
    expect(svg).toContain('<g class="seq-step seq-reply">');
    expect(svg).toContain('<g class="seq-step seq-exposes">');
    expect(svg).toContain('marker-end="url(#sample-head-exposes)"');
  });

  it('is an image with a name and a description for screen readers', () => {
    expect(renderSequenceDiagram(diagram)).toMatch(/^<svg class="seq" id="sample" role="img" aria-labelledby="sample-title sample-desc" viewBox="0 0 960 \d+"/);
  });

  it('refuses a step between unknown participants, and an id that could break out of url(#…)', () => {
    expect(() => renderSequenceDiagram({ ...diagram, steps: [{ from: 'b', to: 'nobody', text: 'x' }] })).toThrow(/unknown participant/);
    expect(() => renderSequenceDiagram({ ...diagram, id: 'x) url(evil' })).toThrow(/plain diagram id/);
  });

  it('draws both flows of the comparison page', () => {
    for (const flow of [IMPLICIT_FLOW, RECOMMENDED_FLOW]) {
      const svg = renderSequenceDiagram(flow);
      expect(svg.match(/class="seq-step/g)).toHaveLength(flow.steps.length);
      expect(svg.match(/class="seq-box"/g)).toHaveLength(4);
    }
  });
});
