/** Building SVG (and HTML) markup as strings: escaping, elements, compact numbers. */

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and attribute values alike (HTML and SVG). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Coordinates with at most two decimals, without trailing zeros. */
export function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

export type Attrs = Record<string, string | number | undefined>;

function attrText(attrs: Attrs): string {
  return Object.entries(attrs)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => ` ${key}="${typeof value === 'number' ? num(value) : escapeXml(value as string)}"`)
    .join('');
}

/** An element; `children` are markup already (escape text with escapeXml or use `text`). */
export function el(name: string, attrs: Attrs = {}, ...children: string[]): string {
  return children.length === 0
    ? `<${name}${attrText(attrs)}/>`
    : `<${name}${attrText(attrs)}>${children.join('')}</${name}>`;
}

/** A <text> element holding escaped text. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el('text', { x, y, ...attrs }, escapeXml(content));
}

/** A tooltip: the <title> child that browsers show on hover. */
export function tooltip(content: string): string {
  return el('title', {}, escapeXml(content));
}

/**
 * The root <svg> for inline use in HTML (which needs no xmlns, so the page holds no URL at all); CSS
 * scales it down to narrow containers keeping the aspect ratio.
 */
export function svgRoot(width: number, height: number, label: string, ...children: string[]): string {
  return el(
    'svg',
    {
      viewBox: `0 0 ${num(width)} ${num(height)}`,
      width: num(width),
      height: num(height),
      role: 'img',
      'aria-label': label,
      class: 'chart',
    },
    ...children,
  );
}
