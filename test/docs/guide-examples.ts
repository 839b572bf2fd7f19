/**
 * Finds the curl examples of the user guides (docs/user-guide/*.md) and what each expects (pure).
 *
 * An example is a fenced code block that runs `curl`. Its first line must be
 *
 *     # example: <name> expect <status> [json|csv|parquet|arrow|sse|text] [as <role>]
 *
 * (format default json; `as <role>` runs it with another role's key than the page's). Every curl of
 * an example must print the status on stderr with `-w '%{stderr}HTTP %{http_code}\n'`, so the body
 * stays alone on stdout (pipe it into jq) and the test can read both. A block that runs curl without
 * that first line, or an example line that does not parse, is a problem: the test fails on it.
 */

export const EXAMPLE_FORMATS = ['json', 'csv', 'parquet', 'arrow', 'sse', 'text'] as const;
export type ExampleFormat = (typeof EXAMPLE_FORMATS)[number];

/** The write-out every curl of an example carries (status on stderr, body alone on stdout). */
export const STATUS_WRITE_OUT = `-w '%{stderr}HTTP %{http_code}\\n'`;

export interface GuideExample {
  readonly page: string;
  /** 1-based line of the example's first line (the `# example:` comment). */
  readonly line: number;
  readonly name: string;
  readonly status: number;
  readonly format: ExampleFormat;
  /** Role whose key runs it when not the page's (`as <role>`). */
  readonly as: string | null;
  /** The block's text without the fences (the example line included). */
  readonly script: string;
  /** The file named by `-o FILE`, if any (parquet/arrow downloads). */
  readonly outputFile: string | null;
}

export interface GuideProblem {
  readonly page: string;
  readonly line: number;
  readonly problem: string;
}

export interface ParsedGuide {
  readonly examples: GuideExample[];
  readonly problems: GuideProblem[];
}

const EXAMPLE_RE =
  /^#\s*example:\s*([a-z0-9][a-z0-9-]*)\s+expect\s+([1-5][0-9]{2})(?:\s+(json|csv|parquet|arrow|sse|text))?(?:\s+as\s+([a-z]+))?\s*$/;
const CURL_RE = /(^|[\s;|&($`])curl(\s|$)/;
const SHELL_LANGS = new Set(['sh', 'bash', 'shell']);

interface Block {
  readonly lang: string;
  /** Line number (1-based) of the first line inside the fence. */
  readonly firstLine: number;
  readonly lines: string[];
}

/** Fenced blocks (``` or ~~~) of a Markdown page. */
export function fencedBlocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  let open: { fence: string; lang: string; firstLine: number; lines: string[] } | null = null;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (open === null) {
      const m = /^\s*(`{3,}|~{3,})\s*([A-Za-z0-9_-]*)/.exec(line);
      if (m) open = { fence: m[1]!, lang: (m[2] ?? '').toLowerCase(), firstLine: i + 2, lines: [] };
      return;
    }
    if (line.trim().startsWith(open.fence) && line.trim().replace(/[`~]/g, '') === '') {
      out.push({ lang: open.lang, firstLine: open.firstLine, lines: open.lines });
      open = null;
      return;
    }
    open.lines.push(line);
  });
  return out;
}

/** Lines that are commands (not comments), for finding curl. */
function commandLines(lines: readonly string[]): string[] {
  return lines.filter((l) => !l.trim().startsWith('#'));
}

/** Number of curl invocations in the block's commands. */
function curlCount(lines: readonly string[]): number {
  return commandLines(lines).filter((l) => CURL_RE.test(l)).length;
}

export function parseGuide(page: string, markdown: string, roles: readonly string[]): ParsedGuide {
  const examples: GuideExample[] = [];
  const problems: GuideProblem[] = [];
  const names = new Set<string>();
  for (const b of fencedBlocks(markdown)) {
    const first = b.lines[0]?.trim() ?? '';
    const claims = first.startsWith('# example');
    const curls = curlCount(b.lines);
    if (!claims) {
      if (curls > 0)
        problems.push({
          page,
          line: b.firstLine,
          problem: 'a block runs curl but has no `# example: <name> expect <status>` first line',
        });
      continue;
    }
    const m = EXAMPLE_RE.exec(first);
    if (!m) {
      problems.push({
        page,
        line: b.firstLine,
        problem: `bad example line "${first}" (want: # example: <name> expect <status> [format] [as <role>])`,
      });
      continue;
    }
    const [, name, status, format, as] = m;
    if (!SHELL_LANGS.has(b.lang))
      problems.push({
        page,
        line: b.firstLine,
        problem: `example ${name}: fence language must be sh or bash`,
      });
    if (curls === 0) problems.push({ page, line: b.firstLine, problem: `example ${name} runs no curl` });
    const commands = commandLines(b.lines).join('\n');
    const writeOuts = commands.split(STATUS_WRITE_OUT).length - 1;
    if (writeOuts !== curls)
      problems.push({
        page,
        line: b.firstLine,
        problem: `example ${name}: every curl must print its status with ${STATUS_WRITE_OUT}`,
      });
    if (as !== undefined && !roles.includes(as))
      problems.push({ page, line: b.firstLine, problem: `example ${name}: unknown role "${as}"` });
    if (names.has(name!))
      problems.push({ page, line: b.firstLine, problem: `duplicate example name ${name}` });
    names.add(name!);
    const out = /\s-o\s+("?)([^\s"]+)\1/.exec(commands);
    examples.push({
      page,
      line: b.firstLine,
      name: name!,
      status: Number(status),
      format: (format ?? 'json') as ExampleFormat,
      as: as ?? null,
      script: b.lines.join('\n'),
      outputFile: out ? out[2]! : null,
    });
  }
  return { examples, problems };
}

/** The statuses curl wrote on stderr (`HTTP <code>` lines), in order. */
export function statusesOf(stderr: string): number[] {
  return [...stderr.matchAll(/^HTTP ([0-9]{3})$/gm)].map((m) => Number(m[1]));
}
