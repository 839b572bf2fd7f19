/**
 * `${NAME}` placeholder rendering for the checked-in config templates. Strict both ways: a
 * placeholder without a value and a value without a placeholder are errors, so a template and
 * its renderer cannot drift apart silently.
 */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const out = template.replace(/\$\{([A-Z0-9_]+)\}/g, (_match, name: string) => {
    const v = values[name];
    if (v === undefined) {
      missing.add(name);
      return '';
    }
    used.add(name);
    return v;
  });
  if (missing.size > 0) throw new Error(`template placeholders without a value: ${[...missing].join(', ')}`);
  const unused = Object.keys(values).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`values not used by the template: ${unused.join(', ')}`);
  return out;
}
