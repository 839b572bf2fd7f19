/**
 * Settings whose value is the path of a JSON file (event code table, TOU calendar): the file is read,
 * parsed and checked against a TypeBox schema when the settings are read, and every problem is
 * reported with the file name and the JSON path, so a bad file stops a process at start-up with a
 * message that says what to fix.
 */
import { readFileSync } from 'node:fs';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/**
 * A `setting()` parser: '' means "use the built-in default"; otherwise the raw value is a file path
 * whose JSON content must match `schema` and then pass `build` (which throws an Error describing
 * any semantic problem, e.g. duplicate codes).
 */
export function jsonFileParser<S extends TSchema, T>(
  schema: S,
  builtIn: () => T,
  build: (content: Static<S>) => T,
): (raw: string) => T {
  const check = TypeCompiler.Compile(schema);
  return (raw: string): T => {
    const path = raw.trim();
    if (path === '') return builtIn();
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    let content: unknown;
    try {
      content = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    if (!check.Check(content)) {
      const problems = [...check.Errors(content)]
        .slice(0, 5)
        .map((e) => `${e.path === '' ? '(root)' : e.path}: ${e.message}`);
      throw new Error(`${path} does not match the expected format: ${problems.join('; ')}`);
    }
    try {
      return build(content);
    } catch (err) {
      throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  };
}
