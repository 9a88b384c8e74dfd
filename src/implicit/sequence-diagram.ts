/**
 * Sequence diagrams as inline SVG, rendered on the server. Mermaid would need a script (and a CDN or a
 * vendored bundle) under a CSP that allows neither; an SVG needs nothing, scales with its container and is
 * styled by the site's stylesheet through class names (presentation only: no `style` attribute, which
 * `style-src 'self'` would refuse).
 */

export interface SequenceParticipant {
  /** Referred to by the steps. */
  id: string;
  /** Shown in the participant's box; `\n` starts a second line. */
  label: string;
}

export interface SequenceStep {
  from: string;
  to: string;
  /** What travels; `\n` starts another line. A step with `from === to` is something a party does itself. */
  text: string;
  /** An answer (dashed line), as in UML and mermaid's `-->>`. */
  reply?: boolean;
  /** A step where a credential is exposed or a risk sits: drawn in the warning colour. */
  exposes?: boolean;
}

export interface SequenceDiagram {
  /** Unique on the page: the SVG's ids (title, arrowheads) derive from it. */
  id: string;
  /** Read by screen readers as the image's name. */
  title: string;
  /** Read by screen readers as the image's description: the whole flow in words. */
  description: string;
  participants: SequenceParticipant[];
  steps: SequenceStep[];
}

const WIDTH = 960;
const MARGIN_X = 110;
const BOX_WIDTH = 180;
const BOX_TOP = 8;
const LINE_HEIGHT = 16;
const STEP_GAP = 22;
const SELF_LOOP_WIDTH = 28;

/** Escapes text for SVG (XML) content and attribute values. */
export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function textLines(x: number, firstBaseline: number, lines: string[], className: string, anchor: 'middle' | 'start'): string {
  return lines
    .map(
      (line, index) =>
        `<text class="${className}" x="${x}" y="${firstBaseline + index * LINE_HEIGHT}" text-anchor="${anchor}">${escapeXml(line)}</text>`,
    )
    .join('');
}

/**
 * Renders a sequence diagram as an accessible SVG (`role="img"`, `<title>` and `<desc>`). Every text is
 * escaped here, so the result may be inserted into a page unescaped.
 */
export function renderSequenceDiagram(diagram: SequenceDiagram): string {
  // The id ends up inside url(#…) references, where escaping would not help: allow only a plain name.
  if (!/^[a-z][a-z0-9-]*$/.test(diagram.id)) throw new TypeError(`Not a plain diagram id: ${diagram.id}`);
  const count = diagram.participants.length;
  if (count < 2) throw new TypeError('A sequence diagram needs at least two participants');
  const spacing = (WIDTH - 2 * MARGIN_X) / (count - 1);
  const xOf = new Map(diagram.participants.map((p, index) => [p.id, MARGIN_X + index * spacing]));
  const headerLines = Math.max(...diagram.participants.map((p) => p.label.split('\n').length));
  const boxHeight = headerLines * LINE_HEIGHT + 16;

  const parts: string[] = [];
  let y = BOX_TOP + boxHeight + 18;
  diagram.steps.forEach((step, index) => {
    const from = xOf.get(step.from);
    const to = xOf.get(step.to);
    if (from === undefined || to === undefined) {
      throw new TypeError(`Step ${index + 1} of ${diagram.id} names an unknown participant`);
    }
    const lines = `${index + 1}. ${step.text}`.split('\n');
    const classes = ['seq-step', step.reply ? 'seq-reply' : '', step.exposes ? 'seq-exposes' : ''].filter(Boolean).join(' ');
    const marker = `url(#${diagram.id}-head${step.exposes ? '-exposes' : ''})`;
    if (from === to) {
      // An action of one party: a small loop to the right of its lifeline, the text beside it.
      const top = y;
      const bottom = y + Math.max(lines.length * LINE_HEIGHT, 20);
      parts.push(
        `<g class="${classes}">`,
        `<path class="seq-arrow" d="M ${from} ${top} H ${from + SELF_LOOP_WIDTH} V ${bottom} H ${from + 4}" fill="none" marker-end="${marker}"/>`,
        textLines(from + SELF_LOOP_WIDTH + 8, top + 12, lines, 'seq-text', 'start'),
        '</g>',
      );
      y = bottom + STEP_GAP;
    } else {
      const textTop = y;
      const arrowY = textTop + lines.length * LINE_HEIGHT + 2;
      const endX = to > from ? to - 3 : to + 3;
      parts.push(
        `<g class="${classes}">`,
        textLines((from + to) / 2, textTop + 10, lines, 'seq-text', 'middle'),
        `<line class="seq-arrow" x1="${from}" y1="${arrowY}" x2="${endX}" y2="${arrowY}" marker-end="${marker}"/>`,
        '</g>',
      );
      y = arrowY + STEP_GAP;
    }
  });
  const lifelineBottom = y;
  const height = lifelineBottom + 8;

  const participants = diagram.participants
    .map((p) => {
      const x = xOf.get(p.id)!;
      const lines = p.label.split('\n');
      const firstBaseline = BOX_TOP + (boxHeight - lines.length * LINE_HEIGHT) / 2 + 12;
      return [
        `<line class="seq-lifeline" x1="${x}" y1="${BOX_TOP + boxHeight}" x2="${x}" y2="${lifelineBottom}"/>`,
        `<rect class="seq-box" x="${x - BOX_WIDTH / 2}" y="${BOX_TOP}" width="${BOX_WIDTH}" height="${boxHeight}" rx="6"/>`,
        textLines(x, firstBaseline, lines, 'seq-label', 'middle'),
      ].join('');
    })
    .join('');

  const titleId = `${diagram.id}-title`;
  const descId = `${diagram.id}-desc`;
  const head = (suffix: string, className: string) =>
    `<marker id="${diagram.id}-head${suffix}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">` +
    `<path class="${className}" d="M 0 0 L 10 5 L 0 10 z"/></marker>`;

  return [
    `<svg class="seq" id="${diagram.id}" role="img" aria-labelledby="${titleId} ${descId}" viewBox="0 0 ${WIDTH} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${titleId}">${escapeXml(diagram.title)}</title>`,
    `<desc id="${descId}">${escapeXml(diagram.description)}</desc>`,
    `<defs>${head('', 'seq-head')}${head('-exposes', 'seq-head seq-head-exposes')}</defs>`,
    participants,
    parts.join(''),
    '</svg>',
  ].join('');
}
