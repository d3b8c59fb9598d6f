import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

/**
 * The layout shows the flow: common/ at the bottom (pure modules every layer shares), reports/
 * pure on top of it, workflows/ orchestrating with nothing but common/ and the activities' type,
 * activities/ doing the I/O. Nothing imports upward; this test keeps it so.
 */

const root = path.resolve(__dirname, '..');

/** Which other top-level folders each folder's modules may import from. */
const ALLOWED: Record<string, readonly string[]> = {
  common: [],
  config: ['common'],
  reports: ['common'],
  // Plus `import type { Activities } from '../activities'`, checked on its own below.
  workflows: ['common'],
  activities: ['common', 'config', 'reports'],
};

interface Import {
  file: string;
  /** Path of the imported module relative to the repository, without extension. */
  target: string;
  layer: string;
  typeOnly: boolean;
  names: string[];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)));
}

/** Every relative import, re-export and dynamic import of a file. */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: Import[] = [];
  const add = (specifier: string, typeOnly: boolean, names: string[]): void => {
    if (!specifier.startsWith('.')) return;
    const target = path.relative(root, path.resolve(root, path.dirname(file), specifier));
    found.push({ file, target, layer: target.split(path.sep)[0] ?? '', typeOnly, names });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const named = bindings && ts.isNamedImports(bindings) ? bindings.elements : undefined;
      const typeOnly = clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && named !== undefined && named.length > 0 && named.every((element) => element.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly, named?.map((element) => element.name.text) ?? []);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly, []);
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0] as ts.Node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add((node.arguments[0] as ts.StringLiteral).text, false, []);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const layers = Object.keys(ALLOWED);
const imports = layers.flatMap((layer) => sourceFiles(layer).flatMap(importsOf));

describe('layout', () => {
  it('finds the modules it checks', () => {
    for (const layer of layers) assert.ok(imports.some((entry) => entry.file.startsWith(`${layer}${path.sep}`)), `no imports read in ${layer}/`);
  });

  for (const layer of layers) {
    it(`${layer}/ imports only ${[layer, ...(ALLOWED[layer] ?? [])].join(', ')}`, () => {
      const ownLayer = (entry: Import): boolean => entry.file.split(path.sep)[0] === layer;
      const upward = imports
        .filter(ownLayer)
        .filter((entry) => entry.layer !== layer && !(ALLOWED[layer] ?? []).includes(entry.layer))
        // Workflows may name the activities' type, for proxyActivities<Activities>, and nothing else of theirs.
        .filter((entry) => !(layer === 'workflows' && entry.target === 'activities' && entry.typeOnly && entry.names.every((name) => name === 'Activities')))
        .map((entry) => `${entry.file} -> ${entry.target}${entry.typeOnly ? ' (type)' : ''}`);
      assert.deepEqual(upward, []);
    });
  }

  it('common/ is pure: no Node built-ins', () => {
    const builtIns = sourceFiles('common').filter((file) => /from ['"](node:|fs|path|os|http|https|net|child_process)['"/]/.test(readFileSync(path.join(root, file), 'utf8')));
    assert.deepEqual(builtIns, []);
  });
});
