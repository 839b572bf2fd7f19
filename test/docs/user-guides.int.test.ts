/**
 * Runs every curl example of the user guides (docs/user-guide/*.md) with the real `curl` binary,
 * through bash, against a real API (test/docs/guide-api.ts: real Redis, MinIO, DuckDB, BullMQ and
 * batch views built by the real pipeline), with AMI_API, AMI_KEY (the page's role, or the example's
 * `as <role>`) and the ids and dates of that data as environment variables — nothing else of the
 * environment, so an example that needs an undocumented variable fails (`set -u`).
 *
 * Each example must state what it expects (`# example: <name> expect <status> [format]`); the test
 * checks the status curl printed and that the body is what the format says (JSON parses; API errors
 * are `{error, message, details}`; CSV has a header; Parquet/Arrow files carry their magic bytes;
 * server-sent events are well formed with JSON data).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '@ami/serving-layer';
import {
  parseGuide,
  STATUS_WRITE_OUT,
  statusesOf,
  type GuideExample,
  type GuideProblem,
} from './guide-examples.ts';
import { startGuideApi, type GuideApi } from './guide-api.ts';

const GUIDE_DIR = resolve(fileURLToPath(new URL('../../docs/user-guide', import.meta.url)));
const PAGES = ['index', ...ROLES];

function readGuides(): { examples: GuideExample[]; problems: GuideProblem[]; files: string[] } {
  if (!existsSync(GUIDE_DIR))
    return { examples: [], problems: [{ page: GUIDE_DIR, line: 0, problem: 'missing' }], files: [] };
  const files = readdirSync(GUIDE_DIR)
    .filter((f) => f.endsWith('.md'))
    .sort();
  const examples: GuideExample[] = [];
  const problems: GuideProblem[] = [];
  for (const f of files) {
    const parsed = parseGuide(f, readFileSync(join(GUIDE_DIR, f), 'utf8'), ROLES);
    examples.push(...parsed.examples);
    problems.push(...parsed.problems);
  }
  return { examples, problems, files };
}

const guides = readGuides();

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly dir: string;
}

/** Runs an example's block with bash (`set -euo pipefail`) in a fresh directory. */
function runExample(script: string, env: Record<string, string>): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'ami-docs-example-'));
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}\n`], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr, dir }));
  });
}

function roleOfPage(page: string): Role | null {
  const stem = basename(page, '.md');
  return (ROLES as readonly string[]).includes(stem) ? (stem as Role) : null;
}

/** `$NAME` / `${NAME}` in `s` replaced by the example's environment (for `-o "name-$PERIOD.parquet"`). */
function expandVars(s: string, env: Readonly<Record<string, string>>): string {
  return s.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_m, name: string) => env[name] ?? '');
}

function checkBody(ex: GuideExample, run: Run, env: Readonly<Record<string, string>>): void {
  const where = `${ex.page} example ${ex.name}`;
  switch (ex.format) {
    case 'json': {
      expect(run.stdout.trim(), `${where}: empty body`).not.toBe('');
      let body: unknown;
      expect(() => {
        body = JSON.parse(run.stdout) as unknown;
      }, `${where}: body is not JSON`).not.toThrow();
      if (ex.status >= 400)
        expect(Object.keys(body as object).sort(), `${where}: API error format`).toEqual([
          'details',
          'error',
          'message',
        ]);
      return;
    }
    case 'csv': {
      const lines = run.stdout.split(/\r?\n/).filter((l) => l !== '');
      expect(lines.length, `${where}: CSV header and rows`).toBeGreaterThanOrEqual(2);
      const columns = lines[0]!.split(',').length;
      expect(columns, `${where}: CSV header`).toBeGreaterThan(1);
      return;
    }
    case 'parquet':
    case 'arrow': {
      expect(ex.outputFile, `${where}: needs -o FILE`).not.toBeNull();
      const bytes = readFileSync(join(run.dir, expandVars(ex.outputFile!, env)));
      if (ex.format === 'parquet') {
        expect(bytes.subarray(0, 4).toString('latin1'), `${where}: Parquet magic`).toBe('PAR1');
        expect(bytes.subarray(bytes.length - 4).toString('latin1'), `${where}: Parquet footer`).toBe('PAR1');
      } else {
        expect(bytes.readUInt32LE(0), `${where}: Arrow IPC stream continuation`).toBe(0xffffffff);
      }
      return;
    }
    case 'sse': {
      for (const line of run.stdout.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        expect(line, `${where}: SSE field`).toMatch(/^(id|event|data|retry): /);
        if (line.startsWith('data: '))
          expect(() => JSON.parse(line.slice(6)) as unknown, where).not.toThrow();
      }
      return;
    }
    case 'text':
      expect(run.stdout.trim(), `${where}: empty body`).not.toBe('');
      return;
  }
}

describe('user guides (docs/user-guide)', () => {
  let api: GuideApi | undefined;

  beforeAll(async () => {
    api = await startGuideApi();
  }, 120_000);

  afterAll(async () => {
    await api?.close();
  });

  it('has an index and one page per role, each example stating what it expects', () => {
    expect(guides.problems).toEqual([]);
    expect(guides.files).toEqual(expect.arrayContaining(PAGES.map((p) => `${p}.md`)));
    for (const role of ROLES)
      expect(
        guides.examples.filter((e) => e.page === `${role}.md`).length,
        `${role}.md has examples`,
      ).toBeGreaterThan(0);
  });

  it('reports blocks that run curl without an expectation or without the status write-out', () => {
    const md = [
      '```sh',
      'curl -sS "$AMI_API/healthz"',
      '```',
      '```bash',
      '# example: no-status expect 200',
      'curl -sS "$AMI_API/healthz"',
      '```',
      '```sh',
      '# example: wrong expect two hundred',
      '```',
      '```sh',
      '# example: ok expect 404 text as billing',
      `curl -sS ${STATUS_WRITE_OUT} -o page.html "$AMI_API/nowhere"`,
      '```',
    ].join('\n');
    const parsed = parseGuide('t.md', md, ROLES);
    expect(parsed.problems.map((p) => [p.line, p.problem.split(':')[0]])).toEqual([
      [2, 'a block runs curl but has no `# example'],
      [5, 'example no-status'],
      [9, 'bad example line "# example'],
    ]);
    expect(parsed.examples.map((e) => [e.name, e.status, e.format, e.as, e.outputFile])).toEqual([
      ['no-status', 200, 'json', null, null],
      ['ok', 404, 'text', 'billing', 'page.html'],
    ]);
  });

  it.each(guides.examples.map((e) => [`${e.page} ${e.name} → ${e.status}`, e] as const))(
    '%s',
    async (_label, ex) => {
      const a = api!;
      const role = (ex.as as Role | null) ?? roleOfPage(ex.page);
      const env: Record<string, string> = { AMI_API: a.url, ...a.vars };
      if (role !== null) env.AMI_KEY = a.keys[role];
      const run = await runExample(ex.script, env);
      try {
        const okCodes = ex.format === 'sse' ? [0, 28] : [0];
        expect(okCodes, `${ex.page} ${ex.name}: exit ${run.code}\n${run.stderr}`).toContain(run.code);
        const statuses = statusesOf(run.stderr);
        expect(statuses.length, `${ex.page} ${ex.name}: no status on stderr\n${run.stderr}`).toBeGreaterThan(
          0,
        );
        expect(statuses, `${ex.page} ${ex.name}: ${run.stdout.slice(0, 500)}`).toEqual(
          statuses.map(() => ex.status),
        );
        checkBody(ex, run, env);
      } finally {
        rmSync(run.dir, { recursive: true, force: true });
      }
    },
  );
});
