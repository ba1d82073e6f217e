/** Vega-lite spec → SVG string, headless and offline (no canvas, no network, no DOM). */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export interface RenderOptions {
  /** Receives vega-lite and vega warnings; default: process.emitWarning. */
  onWarning?: (message: string) => void;
}

/**
 * A loader that refuses everything and remembers what was asked: the report must be reproducible
 * offline, so every chart carries its data inline. Vega only logs a failed load as a warning, so
 * renderSvg checks `refused` afterwards and throws.
 */
function offlineLoader(refused: string[]): vega.Loader {
  const refuse = (uri: string) => {
    refused.push(uri);
    return Promise.reject(new Error(`refusing to load ${uri}`));
  };
  return { ...vega.loader(), load: refuse, sanitize: refuse } as unknown as vega.Loader;
}

/** A vega logger that keeps errors (to throw after rendering) and forwards warnings. */
function collectingLogger(errors: string[], onWarning: (message: string) => void): vega.LoggerInterface {
  const text = (args: readonly unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  let level = vega.Warn;
  const logger: vega.LoggerInterface = {
    // The overloaded getter/setter of vega's interface cannot be written as one typed method.
    level: ((l?: number) => (l === undefined ? level : ((level = l), logger))) as vega.LoggerInterface['level'],
    error(...args) {
      errors.push(text(args));
      return logger;
    },
    warn(...args) {
      onWarning(text(args));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return logger;
}

/** Renders a vega-lite spec to a standalone `<svg>` string; the view is always finalised. */
export async function renderSvg(spec: TopLevelSpec, options: RenderOptions = {}): Promise<string> {
  const onWarning = options.onWarning ?? ((m: string) => process.emitWarning(m, 'VegaWarning'));
  const errors: string[] = [];
  const refused: string[] = [];
  const logger = collectingLogger(errors, onWarning);
  const compiled = vegaLite.compile(spec, { logger }).spec;
  // renderer 'none': no canvas or DOM is needed, and toSVG builds its markup from the scenegraph.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: offlineLoader(refused), logger });
  try {
    const svg = await view.toSVG();
    if (refused.length) throw new RangeError(`renderSvg: spec must carry its data inline (data.values); it asked to load ${refused.join(', ')}`);
    if (errors.length) throw new Error(`renderSvg: vega reported ${errors.join('; ')}`);
    return trimCoordinates(svg);
  } finally {
    view.finalize();
  }
}

/**
 * Cuts geometry numbers to 2 decimals (0.01 px): vega prints 16 digits per coordinate, which makes a
 * 1,500-point chart twice as large for no visible difference. Only `d` and `transform` attributes are
 * touched, never text such as tick labels.
 */
function trimCoordinates(svg: string): string {
  return svg.replace(/ (d|transform)="([^"]*)"/g, (_, attr: string, v: string) => ` ${attr}="${v.replace(/(\.\d\d)\d+/g, '$1')}"`);
}
