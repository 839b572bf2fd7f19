/* global document */
/**
 * Small DOM helpers for the dashboard: creating HTML and SVG elements with attributes and text,
 * and emptying a container. No innerHTML anywhere: every text from the API goes in as a text node.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(node, attrs, text) {
  for (const [name, value] of Object.entries(attrs ?? {}))
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** An HTML element: `html('td', {class: 'num'}, '42')`. */
export function html(tag, attrs, text) {
  return apply(document.createElement(tag), attrs, text);
}

/** An SVG element: `svg('rect', {x: 0, y: 0, width: 4, height: 4})`. */
export function svg(tag, attrs, text) {
  return apply(document.createElementNS(SVG_NS, tag), attrs, text);
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** The element with `data-testid="<id>"` (the page's stable hooks, also used by the tests). */
export function byTestId(id) {
  const node = document.querySelector(`[data-testid="${id}"]`);
  if (node === null) throw new Error(`dashboard: no element ${id}`);
  return node;
}
