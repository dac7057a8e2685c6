/** A chart on the page saved as SVG (its own markup, styles inlined as attributes) or PNG (that SVG drawn on a canvas). */
import { saveFile } from '../../state/variants';

/** The chart's SVG with the size and namespace a file on its own needs. */
export function chartSvg(container: HTMLElement | null): string | null {
  const svg = container?.querySelector('svg.recharts-surface') ?? container?.querySelector('svg');
  if (!svg) return null;
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const { width, height } = svg.getBoundingClientRect();
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(Math.round(width)));
  copy.setAttribute('height', String(Math.round(height)));
  copy.setAttribute('font-family', 'system-ui, sans-serif');
  copy.setAttribute('font-size', '12');
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', '#ffffff');
  copy.insertBefore(bg, copy.firstChild);
  return new XMLSerializer().serializeToString(copy);
}

export function saveChartSvg(container: HTMLElement | null, name: string): void {
  const svg = chartSvg(container);
  if (svg) saveFile(svg, `${name}.svg`, 'image/svg+xml');
}

export async function saveChartPng(container: HTMLElement | null, name: string, scale = 2): Promise<void> {
  const svg = chartSvg(container);
  if (!svg) return;
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    await new Promise<void>((resolve, reject) => { img.onload = () => resolve(); img.onerror = () => reject(new Error('the chart could not be drawn')); img.src = url; });
    const canvas = document.createElement('canvas');
    canvas.width = img.width * scale;
    canvas.height = img.height * scale;
    const g = canvas.getContext('2d')!;
    g.scale(scale, scale);
    g.drawImage(img, 0, 0);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (png) saveFile(png, `${name}.png`, 'image/png');
  } finally {
    URL.revokeObjectURL(url);
  }
}
