#!/usr/bin/env node
// Proves no library speaks in an app's command-line flags: libraries name their option fields
// (`commissionBps`), and each app names the flag (`--commission-bps`) in its own messages. Fails
// when a string or template literal in a library source (tests excluded) names a `--flag`.
// `libs/cli` is the apps' shared command line and is exempt: flags are its vocabulary.
// Usage: node tools/verify-library-vocabulary.mjs [file...]   (default: every library source)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '..');
const EXEMPT = new Set(['libs/cli']);
// Files known to name a flag and due to be fixed (none now); a file
// listed here that no longer names a flag makes the check fail, so the list only shrinks.
const PENDING = new Set([]);
// A flag: `--` then a lowercase word, not part of a longer token. CSS custom properties
// (`--ink: #111`, `var(--ink)`) are not flags.
const FLAG = /(?<![\w-]|var\()--[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?![\w:-])/g;

function sources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && !/\.spec(-helper)?\.ts$/.test(name) && !name.endsWith('.spec.ts')) out.push(path);
  }
  return out;
}

function libraryFiles() {
  const libs = join(root, 'libs');
  return readdirSync(libs)
    .filter((name) => !EXEMPT.has(`libs/${name}`))
    .map((name) => join(libs, name, 'src'))
    .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true)
    .flatMap(sources);
}

/** Every `--flag` inside a string or template literal of `text`, with its line. */
export function flagsInStrings(text) {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const found = [];
  const literal = new Set([
    ts.SyntaxKind.StringLiteral,
    ts.SyntaxKind.NoSubstitutionTemplateLiteral,
    ts.SyntaxKind.TemplateHead,
    ts.SyntaxKind.TemplateMiddle,
    ts.SyntaxKind.TemplateTail,
  ]);
  // The scanner needs to be told when a `}` closes a template substitution.
  const templateDepth = [];
  let braceDepth = 0;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.TemplateHead) templateDepth.push(braceDepth);
    if (kind === ts.SyntaxKind.OpenBraceToken) braceDepth++;
    if (kind === ts.SyntaxKind.CloseBraceToken) {
      if (templateDepth.length > 0 && templateDepth[templateDepth.length - 1] === braceDepth) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateTail) templateDepth.pop();
      } else {
        braceDepth--;
      }
    }
    if (!literal.has(kind)) continue;
    for (const match of scanner.getTokenText().matchAll(FLAG)) {
      const line = text.slice(0, scanner.getTokenStart()).split('\n').length;
      found.push({ line, flag: match[0] });
    }
  }
  return found;
}

const files = process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : libraryFiles();
let problems = 0;
for (const file of files) {
  const found = flagsInStrings(readFileSync(file, 'utf8'));
  if (PENDING.has(relative(root, file))) {
    if (found.length === 0) {
      problems++;
      console.error(`${relative(root, file)}: names no flag any more; remove it from PENDING in tools/verify-library-vocabulary.mjs`);
    }
    continue;
  }
  for (const { line, flag } of found) {
    problems++;
    console.error(`${relative(root, file)}:${line}: names the flag ${flag}; a library names its option field, and the app maps it to a flag`);
  }
}
if (problems > 0) {
  console.error(`verify-library-vocabulary: ${problems} flag(s) named in library strings`);
  process.exit(1);
}
console.log(`verify-library-vocabulary: no flag named in the strings of ${files.length} library source(s)`);
