#!/usr/bin/env node
// Pins each library's public API. For every entry point of every library (the `exports` of its
// package.json), lists what it exports with its kind and type, as the TypeScript checker sees
// them, and compares the list with the library's committed `api.txt`. A change that adds,
// removes or retypes an export fails until `api.txt` is regenerated and committed with it, so a
// change of the public API is always a visible, reviewed diff.
// Usage: node tools/api-report.mjs            check every library
//        node tools/api-report.mjs --update   rewrite the api.txt files
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const root = resolve(import.meta.dirname, '..');
const update = process.argv.includes('--update');

const libs = readdirSync(join(root, 'libs')).filter((name) => existsSync(join(root, 'libs', name, 'package.json'))).sort();

/** The source file of each entry point: `.` is src/index.ts, `./x` is src/x/index.ts. */
function entryPoints(lib) {
  const pkg = JSON.parse(readFileSync(join(root, 'libs', lib, 'package.json'), 'utf8'));
  return Object.keys(pkg.exports ?? { '.': {} })
    .filter((key) => key !== './package.json')
    .sort()
    .map((key) => ({ name: key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`, file: join(root, 'libs', lib, 'src', key === '.' ? '' : key.slice(2), 'index.ts') }));
}

const entries = libs.flatMap((lib) => entryPoints(lib).map((entry) => ({ lib, ...entry })));
const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.base.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
const program = ts.createProgram(
  entries.map((e) => e.file),
  { ...config.options, noEmit: true, types: ['node'] },
);
const checker = program.getTypeChecker();
const flags = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.WriteArrowStyleSignature;
const nodeFlags = ts.NodeBuilderFlags.NoTruncation | ts.NodeBuilderFlags.WriteArrowStyleSignature | ts.NodeBuilderFlags.IgnoreErrors;
const printer = ts.createPrinter({ removeComments: true, omitTrailingSemicolon: true });
const nowhere = ts.createSourceFile('api.ts', '', ts.ScriptTarget.Latest);

/**
 * The members of every union in `node`, sorted by their text. The checker writes a union's
 * members in the order their types were first made in the whole program, so a file added to one
 * library could reorder an unrelated library's `'info' | 'error'`: sorted, the report changes only
 * when an API does.
 */
function sortUnions(node) {
  const visit = (n) => {
    const visited = ts.visitEachChild(n, visit, undefined);
    if (!ts.isUnionTypeNode(visited)) return visited;
    const members = visited.types.map((t) => ({ t, text: printer.printNode(ts.EmitHint.Unspecified, t, nowhere) }));
    members.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    return ts.factory.updateUnionTypeNode(visited, ts.factory.createNodeArray(members.map((m) => m.t)));
  };
  return visit(node);
}

/** `type` as text, unions sorted (see sortUnions). */
function typeText(type, at, extra = 0) {
  const node = checker.typeToTypeNode(type, at, nodeFlags | extra);
  if (node === undefined) return checker.typeToString(type, at, flags);
  return printer.printNode(ts.EmitHint.Unspecified, sortUnions(node), nowhere);
}

/** A construct signature as text (`new (…) => T`), unions sorted. */
function constructText(signature, at) {
  const node = checker.signatureToSignatureDeclaration(signature, ts.SyntaxKind.ConstructorType, at, nodeFlags);
  if (node === undefined) return checker.signatureToString(signature, at, flags);
  return printer.printNode(ts.EmitHint.Unspecified, sortUnions(node), nowhere);
}

function kindOf(symbol) {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Variable) return 'const';
  return 'other';
}

/** Types are named, not located: a type moved between files is the same API (and no path of this machine is printed). */
function clean(text) {
  // A whole module's type (`import("…/node_modules/pg-boss/types")`) keeps its package path only.
  return text.replace(/import\("[^"]+"\)\./g, '').replace(/import\("[^"]*\/node_modules\/([^"]+)"\)/g, 'import("$1")');
}

function describe(symbol, at) {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const kind = kindOf(target);
  const lines = [];
  if (kind === 'interface' || kind === 'class' || kind === 'type') {
    const type = checker.getDeclaredTypeOfSymbol(target);
    if (kind === 'type') lines.push(`${kind} ${symbol.name} = ${clean(typeText(type, at, ts.NodeBuilderFlags.InTypeAlias))}`);
    else lines.push(`${kind} ${symbol.name}`);
    if (kind !== 'type') {
      for (const member of checker.getPropertiesOfType(type).slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (member.name.startsWith('#') || member.name.startsWith('__')) continue;
        lines.push(`  ${member.name}: ${clean(typeText(checker.getTypeOfSymbolAtLocation(member, at), at))}`);
      }
    }
    if (kind === 'class') {
      const statics = checker.getTypeOfSymbolAtLocation(target, at);
      for (const signature of statics.getConstructSignatures()) lines.push(`  ${clean(constructText(signature, at))}`);
      for (const member of checker.getPropertiesOfType(statics)) {
        if (member.name === 'prototype') continue;
        lines.push(`  static ${member.name}: ${clean(typeText(checker.getTypeOfSymbolAtLocation(member, at), at))}`);
      }
    }
  } else {
    lines.push(`${kind} ${symbol.name}: ${clean(typeText(checker.getTypeOfSymbolAtLocation(target, at), at))}`);
  }
  return lines.join('\n');
}

let failures = 0;
for (const lib of libs) {
  const out = [`# The public API of libs/${lib}: generated by tools/api-report.mjs; do not edit by hand.`];
  for (const entry of entries.filter((e) => e.lib === lib)) {
    const source = program.getSourceFile(entry.file);
    if (source === undefined) throw new Error(`${entry.name}: no ${relative(root, entry.file)}`);
    const moduleSymbol = checker.getSymbolAtLocation(source);
    const exported = moduleSymbol === undefined ? [] : checker.getExportsOfModule(moduleSymbol);
    out.push('', `## ${entry.name}`, '');
    for (const symbol of exported.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) out.push(describe(symbol, source));
  }
  const text = `${out.join('\n')}\n`;
  const file = join(root, 'libs', lib, 'api.txt');
  const committed = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (committed === text) continue;
  if (update) {
    writeFileSync(file, text);
    console.log(`api-report: rewrote libs/${lib}/api.txt`);
    continue;
  }
  failures++;
  const before = new Set((committed ?? '').split('\n'));
  const after = new Set(text.split('\n'));
  const removed = [...before].filter((line) => !after.has(line) && line.trim() !== '');
  const added = [...after].filter((line) => !before.has(line) && line.trim() !== '');
  console.error(`api-report: the public API of libs/${lib} differs from libs/${lib}/api.txt`);
  for (const line of removed.slice(0, 20)) console.error(`  - ${line}`);
  for (const line of added.slice(0, 20)) console.error(`  + ${line}`);
}
if (failures > 0) {
  console.error(`api-report: ${failures} librar${failures === 1 ? 'y' : 'ies'} changed their public API; if that is intended, run 'node tools/api-report.mjs --update' and commit the api.txt files with the change`);
  process.exit(1);
}
if (!update) console.log(`api-report: the public API of ${libs.length} libraries (${entries.length} entry points) matches their api.txt`);
