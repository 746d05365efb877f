/**
 * The Player's stylesheet, injected once per document as a <style> element.
 *
 * Everything follows JupyterLab's light and dark themes through its CSS
 * variables (with fallbacks for hosts without them, such as a bare Voilà page).
 * Rules under `.jgw-root` (the class the Python side gives a widget's outer box)
 * also make bqplot figures legible in a dark theme: bqplot's own dark styling
 * paints axis labels orange and its figure backgrounds opaque.
 */

export const STYLE_ID = "jgw-style";

/** JupyterLab's theme variables, with fallbacks; shared by every stylesheet of ours. */
export const FG = "var(--jp-ui-font-color1, #222)";
export const FG2 = "var(--jp-ui-font-color2, #555)";
export const BG = "var(--jp-layout-color1, #fff)";
export const BG2 = "var(--jp-layout-color2, #eee)";
export const BORDER = "var(--jp-border-color1, #ccc)";
export const BRAND = "var(--jp-brand-color1, #1976d2)";
export const FONT = "var(--jp-ui-font-family, system-ui, -apple-system, 'Segoe UI', sans-serif)";

export const CSS = `
.jgw-transport {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px;
  padding: 4px 6px;
  box-sizing: border-box;
  color: ${FG};
  background: ${BG};
  border: 1px solid ${BORDER};
  border-radius: 4px;
  font-family: ${FONT};
  font-size: var(--jp-ui-font-size1, 13px);
  line-height: 1.4;
  user-select: none;
  outline: none;
}
.jgw-transport:focus-visible,
.jgw-transport:focus-within {
  border-color: ${BRAND};
}
.jgw-transport:focus-visible {
  box-shadow: 0 0 0 1px ${BRAND};
}
.jgw-transport .jgw-btn {
  min-width: 2.2em;
  height: 26px;
  padding: 0 8px;
  margin: 0;
  color: ${FG};
  background: ${BG2};
  border: 1px solid ${BORDER};
  border-radius: 3px;
  font: inherit;
  cursor: pointer;
}
.jgw-transport .jgw-btn:hover {
  border-color: ${BRAND};
}
.jgw-transport .jgw-btn:focus-visible {
  outline: 2px solid ${BRAND};
  outline-offset: 1px;
}
.jgw-transport .jgw-play {
  min-width: 5.5em;
  color: var(--jp-ui-inverse-font-color1, #fff);
  background: ${BRAND};
  border-color: ${BRAND};
}
.jgw-transport .jgw-play[aria-pressed="true"] {
  color: ${FG};
  background: ${BG2};
  border-color: ${BRAND};
}
.jgw-transport .jgw-scrubber {
  flex: 1 1 160px;
  min-width: 100px;
  margin: 0 4px;
  accent-color: ${BRAND};
  cursor: pointer;
}
.jgw-transport .jgw-readout {
  min-width: 9em;
  font-variant-numeric: tabular-nums;
  white-space: nowrap;
  color: ${FG};
}
.jgw-transport .jgw-speed-label {
  display: inline-flex;
  align-items: center;
  gap: 4px;
  color: ${FG2};
  white-space: nowrap;
}
.jgw-transport .jgw-speed {
  height: 26px;
  color: ${FG};
  background: ${BG};
  border: 1px solid ${BORDER};
  border-radius: 3px;
  font: inherit;
}

/* The computation behind a dashboard stopped (js/connection.ts): cover it. */
.jgw-root-lost {
  position: relative;
}
.jgw-lost {
  position: absolute;
  inset: 0;
  z-index: 20;
  display: flex;
  align-items: flex-start;
  justify-content: center;
  padding-top: 48px;
  background: rgba(128, 128, 128, 0.55);
}
.jgw-lost .jgw-lost-box {
  position: sticky;
  top: 24px;
  max-width: 28em;
  padding: 14px 18px;
  color: ${FG};
  background: ${BG};
  border: 1px solid ${BORDER};
  border-radius: 6px;
  box-shadow: 0 2px 12px rgba(0, 0, 0, 0.3);
  font-family: ${FONT};
  font-size: var(--jp-ui-font-size1, 13px);
  line-height: 1.45;
}
.jgw-lost .jgw-lost-box p {
  margin: 6px 0;
}
/* The host's broken-link marks on every widget: the notice says it once. */
.jgw-root-lost .jupyter-widgets-disconnected::before {
  content: none;
}
.jgw-lost .jgw-lost-reload {
  padding: 4px 14px;
  color: var(--jp-ui-inverse-font-color1, #fff);
  background: ${BRAND};
  border: none;
  border-radius: 3px;
  font: inherit;
  cursor: pointer;
}

/* bqplot figures inside a jaxgrad_widgets box: follow the notebook theme. */
.jgw-root {
  --bq-content-font-color: ${FG};
  --bq-axislabel-fill: ${FG};
  --bq-mainheading-fill: ${FG};
  --bq-axis-tick-text-fill: ${FG};
  --bq-background: transparent;
  --bq-plotarea-background-fill: transparent;
}
.jgw-root .bqplot > svg .axis .tick text,
.jgw-root .bqplot > svg .axis text,
.jgw-root .bqplot > svg .axis text.axislabel,
.jgw-root .bqplot > svg .axis tspan.axislabel,
.jgw-root .bqplot > svg text.mainheading {
  fill: ${FG};
}
.jgw-root .bqplot > svg .axis path,
.jgw-root .bqplot > svg .axis path.domain,
.jgw-root .bqplot > svg .axis .tick.short line {
  stroke: ${BORDER};
}
/* Full-length tick lines are the grid: keep it quieter than the axis lines. */
.jgw-root .bqplot > svg .axis .tick line {
  stroke: var(--jp-border-color2, #e0e0e0);
}
.jgw-root .bqplot > svg .g_legend text.legendtext,
.jgw-root .bqplot > svg text.legendtext {
  fill: ${FG} !important;
}
.jgw-root .bqplot > svg .g_legend .axis rect {
  stroke: ${BORDER};
  fill: ${BG};
  fill-opacity: 0.85;
}
.jgw-root .bqplot,
.jgw-root .bqplot > svg.svg-figure,
.jgw-root .bqplot > svg.svg-background {
  background: transparent;
}
.jgw-root .bqplot > svg .plotarea_background {
  fill: transparent;
}
/* The map: clicks on the shading and the contour lines fall through to the plot
   background, where bqplot turns a click into "add a start" with data coordinates. */
.jgw-map image,
.jgw-map .heatmap,
.jgw-map path.line {
  pointer-events: none;
}
.jgw-root .jgw-title {
  color: ${FG};
  font-family: ${FONT};
  font-size: var(--jp-ui-font-size2, 15px);
  margin: 2px 0 4px;
}
.jgw-root .jgw-status-table {
  border-collapse: collapse;
  color: ${FG};
  font-family: ${FONT};
  font-size: var(--jp-ui-font-size1, 13px);
  font-variant-numeric: tabular-nums;
  margin: 4px 0;
}
.jgw-root .jgw-status-table th,
.jgw-root .jgw-status-table td {
  padding: 2px 10px 2px 0;
  text-align: left;
  border-bottom: 1px solid var(--jp-border-color2, #e0e0e0);
}
/* A number never breaks across lines; the outcome may. */
.jgw-root .jgw-status-table td:not(.jgw-outcome) {
  white-space: nowrap;
}
.jgw-root .jgw-status-table th {
  color: ${FG2};
  font-weight: 600;
}
.jgw-root .jgw-swatch {
  display: inline-block;
  width: 12px;
  height: 12px;
  border-radius: 50%;
  border: 1px solid rgba(0, 0, 0, 0.5);
  vertical-align: middle;
}
/* The selected view: the brand colour, in both themes (the default differs by a shade). */
.jgw-root .jgw-view .widget-toggle-button.mod-active {
  color: var(--jp-ui-inverse-font-color1, #fff);
  background: ${BRAND};
}
/* A hyperparameter's exact-value box, beside its slider. */
.jgw-root .jgw-entry input {
  font-variant-numeric: tabular-nums;
  text-align: right;
}
/* A slow run's progress, above the status line. */
.jgw-root .jgw-progress {
  display: block;
  width: 100%;
  max-width: 460px;
  height: 10px;
  margin: 4px 0 2px;
  accent-color: ${BRAND};
}
.jgw-root .jgw-status-line {
  color: ${FG2};
  font-family: ${FONT};
  font-size: var(--jp-ui-font-size0, 12px);
  min-height: 1.4em;
}
.jgw-root .jgw-readout td {
  padding: 2px 14px 2px 0;
  font-family: ${FONT};
  font-variant-numeric: tabular-nums;
}

`;

/** Add the stylesheet to `doc` once; later calls do nothing. */
export function ensureStyle(doc: Document | undefined = globalThis.document): void {
  if (!doc || doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}
