// ESLint rule `ami/sealed-layers`: each workspace package is a sealed layer (docs/architecture.md,
// "Contracts"). Outside package X, code may import only what X's package.json `exports` map
// declares — `@ami/x` or `@ami/x/<declared subpath>` — never `@ami/x/<internal path>` and never a
// relative path into X's folder. Inside X, relative imports stay inside X.
//
// The one exception: test and benchmark files (`packages/*/test/**`, `packages/*/bench/**`,
// `infra/**/*.test.ts`, the root `test/**`) may import the root test support (`test/support/**`:
// service settings, polling, unique names, S3 clean-up), the shared test infrastructure of the
// workspace. Fixtures a layer offers to other packages' tests are one of its declared exports
// (`@ami/<layer>/testing`), like any other entry point — but production code (`packages/*/src`)
// may not import a `/testing` entry point.
//
// The workspace is read from disk once (pnpm-workspace.yaml's folders: packages/*, infra, test) and
// can be replaced for the rule's own tests with the `workspace` option.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** name → { dir (relative to root, '/'-separated), exports: string[] of subpaths ('.', './x') }. */
function readWorkspace(root) {
  const dirs = [
    ...readdirSync(join(root, 'packages'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `packages/${d.name}`),
    'infra',
    'test',
  ];
  const out = {};
  for (const dir of dirs) {
    const file = join(root, dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8'));
    const exp = pkg.exports;
    const subpaths = exp === undefined ? [] : typeof exp === 'string' ? ['.'] : Object.keys(exp);
    out[pkg.name] = { dir, exports: subpaths };
  }
  return out;
}

let cachedWorkspace;
const toPosix = (p) => p.split(sep).join('/');

/** The package whose folder holds `rel` (root-relative, posix), or undefined. */
function ownerOf(workspace, rel) {
  let best;
  for (const [name, info] of Object.entries(workspace)) {
    if (rel === info.dir || rel.startsWith(`${info.dir}/`)) {
      if (best === undefined || info.dir.length > best.info.dir.length) best = { name, info };
    }
  }
  return best;
}

function isTestOrBenchFile(rel) {
  return (
    /^packages\/[^/]+\/(test|bench)\//.test(rel) ||
    /^test\//.test(rel) ||
    (/^infra\//.test(rel) && rel.endsWith('.test.ts'))
  );
}

const isRootTestSupport = (rel) => rel.startsWith('test/support/');

export default {
  meta: {
    type: 'problem',
    docs: { description: "import other workspace packages only through their package.json 'exports'" },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string' }, workspace: { type: 'object' } },
        additionalProperties: false,
      },
    ],
    messages: {
      notExported:
        '\'{{specifier}}\' is not an entry point of {{pkg}}: import one of its exports ({{allowed}}) — see its package.json and docs/architecture.md "Contracts"',
      unknownPackage: "'{{specifier}}': no workspace package is named {{pkg}}",
      testingInProduction:
        "'{{specifier}}' is a test fixture entry point: production code (packages/*/src) may not import it",
      relativeIntoPackage:
        "'{{specifier}}' reaches into {{target}} by a relative path: import {{targetName}} through its exports ({{allowed}})",
    },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const root = options.root ?? ROOT;
    const workspace = options.workspace ?? (cachedWorkspace ??= readWorkspace(root));
    const filename = context.filename;
    const fileRel = toPosix(relative(root, filename));
    if (fileRel.startsWith('..')) return {};
    const self = ownerOf(workspace, fileRel);

    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      if (specifier.startsWith('@ami/')) {
        const parts = specifier.split('/');
        const pkg = `${parts[0]}/${parts[1]}`;
        const sub = parts.length > 2 ? `./${parts.slice(2).join('/')}` : '.';
        const info = workspace[pkg];
        if (info === undefined) {
          context.report({ node, messageId: 'unknownPackage', data: { specifier, pkg } });
          return;
        }
        if (sub === './testing' && /^packages\/[^/]+\/src\//.test(fileRel)) {
          context.report({ node, messageId: 'testingInProduction', data: { specifier } });
          return;
        }
        if (!info.exports.includes(sub)) {
          const allowed = info.exports.map((s) => (s === '.' ? pkg : `${pkg}/${s.slice(2)}`)).join(', ');
          context.report({
            node,
            messageId: 'notExported',
            data: { specifier, pkg, allowed: allowed || 'none' },
          });
        }
        return;
      }
      if (!specifier.startsWith('.')) return;
      const targetRel = toPosix(relative(root, resolve(dirname(filename), specifier)));
      const target = ownerOf(workspace, targetRel);
      if (target === undefined || self === undefined || target.name === self.name) return;
      if (isTestOrBenchFile(fileRel) && isRootTestSupport(targetRel)) return;
      const allowed = target.info.exports
        .map((s) => (s === '.' ? target.name : `${target.name}/${s.slice(2)}`))
        .join(', ');
      context.report({
        node,
        messageId: 'relativeIntoPackage',
        data: { specifier, target: target.info.dir, targetName: target.name, allowed: allowed || 'none' },
      });
    }

    const fromSource = (node) => {
      if (node.source) check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
      TSImportType(node) {
        const arg = node.source ?? node.argument; // `argument` before typescript-eslint 8.x renamed it
        const lit = arg?.type === 'TSLiteralType' ? arg.literal : arg;
        if (lit?.type === 'Literal') check(lit, lit.value);
      },
    };
  },
};
