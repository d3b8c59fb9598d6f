import type { Resvg as ResvgClass } from '@resvg/resvg-js';

/**
 * The charts of report.html as PNG images for e-mail. Gmail and Outlook drop inline SVG, so
 * each `<svg>` becomes an `<img src="cid:…">` of the same drawing, rendered by resvg and sent
 * as a related part of the message; report.html on disk keeps the SVG.
 */

export interface InlineImage {
  cid: string;
  filename: string;
  content: Buffer;
}

export interface EmailHtml {
  html: string;
  images: InlineImage[];
  /** Charts that could not be rendered (left out; the table below each has the same numbers). */
  failed: number;
}

/** Twice the CSS size, so the charts stay sharp on high-density screens. */
const SCALE = 2;
/**
 * The SVG sets no font. resvg takes the system's fonts and falls back per glyph, so Chinese
 * labels need a CJK font on the worker (fonts-noto-cjk, as the Dockerfile installs); these
 * families are preferred in order when present.
 */
const FONT_FAMILIES = ['Noto Sans CJK SC', 'Noto Sans SC', 'WenQuanYi Micro Hei', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'DejaVu Sans'];

const SVG = /<svg\b[^>]*>[\s\S]*?<\/svg>/g;

function attribute(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

export function renderSvgPng(Resvg: typeof ResvgClass, svg: string): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: SCALE },
    background: '#ffffff',
    font: { loadSystemFonts: true, defaultFontFamily: FONT_FAMILIES[0], sansSerifFamily: FONT_FAMILIES[0] },
  });
  return resvg.render().asPng();
}

/** `prefix` keeps content ids unique per message (mail clients cache images by id). */
export async function chartsAsImages(html: string, prefix: string): Promise<EmailHtml> {
  // Loaded when a report is mailed: a native module the worker needs nowhere else.
  const { Resvg } = await import('@resvg/resvg-js');
  const images: InlineImage[] = [];
  let failed = 0;
  const replaced = html.replace(SVG, (svg) => {
    const open = svg.slice(0, svg.indexOf('>') + 1);
    let content: Buffer;
    try {
      content = renderSvgPng(Resvg, svg);
    } catch {
      failed += 1;
      return '';
    }
    const number = images.length + 1;
    const cid = `chart-${number}.${prefix}@difyscope`;
    images.push({ cid, filename: `chart-${number}.png`, content });
    const width = attribute(open, 'width');
    const height = attribute(open, 'height');
    const alt = attribute(open, 'aria-label') ?? '';
    const size = `${width ? ` width="${width}"` : ''}${height ? ` height="${height}"` : ''}`;
    return `<img src="cid:${cid}"${size} alt="${alt}" style="max-width:100%;height:auto;border:0;display:block">`;
  });
  return { html: replaced, images, failed };
}
