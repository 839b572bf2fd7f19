/**
 * The dashboard's static files (src/dashboard/assets/: one HTML page, a stylesheet and plain ES
 * modules — no build step). They hold no data, so they are public; every figure on the page comes
 * from the JSON API with the caller's key. The files are read once, into memory, when the routes
 * are registered: only names found there are served (no path from the URL ever reaches the file
 * system).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** Every servable file of `dir` by name (subdirectories and unknown extensions are left out). */
export function loadAssets(dir: string = ASSETS_DIR): ReadonlyMap<string, StaticAsset> {
  const out = new Map<string, StaticAsset>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (contentType === undefined) continue;
    out.set(entry.name, { body: readFileSync(join(dir, entry.name)), contentType });
  }
  return out;
}
