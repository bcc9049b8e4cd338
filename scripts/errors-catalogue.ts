/**
 * The error catalogue: docs/errors.md, generated from the error registries
 * (packages/<name>/src/errors.ts), and the checks that keep the registries
 * honest (scripts/errors-catalogue.test.ts).
 *
 *     npm run docs:errors                     # rewrite docs/errors.md
 *     node --import tsx scripts/errors-catalogue.ts --check   # exit 1 if it is stale
 *
 * A registry is the table of codes in errors.ts, usually the `codes` of
 * service-kit's `defineErrors`: `CNPAAS_X_WHAT: { meaning: '…', fix: '…' }`
 * per code, literal strings, so this script reads them without running the
 * package. Its exported `…ErrorCode` type names the union in the doc.
 * Nothing is written by hand in the doc.
 *
 * "Raised" is worked out with the TypeScript checker over each package's
 * built sources (its tsconfig.json: tests and test support excluded):
 * - a string literal whose contextual type is the package's code union
 *   (`new ApiServerError('CNPAAS_API_…')`, `httpError('CNPAAS_API_…')`,
 *   `new StoreError('CNPAAS_STORE_…')`), a literal first argument of a class
 *   errors.ts declares or makes with `defineErrors`, or a `code: '…'` field
 *   with the package's prefix;
 * - the kit's failures: errors.ts maps service-kit's failure kinds to codes
 *   (the `prefix` of `defineErrors`, whose class's `kit` files each kind under
 *   it; `kitError = kitErrors('CNPAAS_X_', XError)`; or by hand as
 *   `(kind) => new XError(\`CNPAAS_X_${kind}\`)`); every place
 *   that hands that factory to a kit helper raises the kinds that helper's
 *   `ErrorFactory<…>` parameter names, so `readPem(…, { error: XError.kit })`
 *   raises CNPAAS_X_TLS; handing the class where its `kit` is taken
 *   (`MtlsJsonServerKind`'s `errors: XError`) raises the kinds that `kit` takes.
 * Comparisons (`err.code === '…'`), metric labels and env names are not raises.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CATALOGUE = 'docs/errors.md';
export const COMMAND = 'npm run docs:errors';

export interface ErrorCodeDoc {
  code: string;
  /** What it means: the entry's `meaning`. */
  meaning: string;
  /** What to do: the entry's `fix`. */
  fix: string;
  /** 1-based line of the entry in errors.ts. */
  line: number;
}

export interface Registry {
  /** The package directory's name, e.g. `api-server`. */
  name: string;
  /** errors.ts, relative to the repository root. */
  file: string;
  /** The code union's name, e.g. `ApiServerErrorCode`; undefined for a package without codes of its own. */
  typeName: string | undefined;
  codes: ErrorCodeDoc[];
  /** service-kit's failure kinds (`KitFailure`), which each package files under its own codes. */
  kitFailures: string[];
}

export interface Problem {
  registry: string;
  message: string;
}

/** The packages with an error registry, in name order. */
export function packageNames(root = ROOT): string[] {
  const dir = path.join(root, 'packages');
  return readdirSync(dir)
    .filter((name) => existsSync(path.join(dir, name, 'src', 'errors.ts')))
    .sort();
}

function sourceFile(file: string, text = readFileSync(file, 'utf8')): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function propertyName(node: ts.PropertyName): string | undefined {
  return ts.isIdentifier(node) || ts.isStringLiteral(node) ? node.text : undefined;
}

function isCode(name: string | undefined): name is string {
  return name !== undefined && /^[A-Z][A-Z0-9_]*$/.test(name);
}

/** A code table: an object literal of `CODE: { meaning, fix }` entries, and nothing else. */
function isCodeTable(node: ts.Node): node is ts.ObjectLiteralExpression {
  return (
    ts.isObjectLiteralExpression(node) &&
    node.properties.length > 0 &&
    node.properties.every(
      (p) =>
        ts.isPropertyAssignment(p) &&
        isCode(propertyName(p.name)) &&
        ts.isObjectLiteralExpression(p.initializer) &&
        p.initializer.properties.some((q) => q.name !== undefined && propertyName(q.name) === 'meaning'),
    )
  );
}

/** An entry's field as written; '' unless it is one literal string (the doc is made without running the code). */
function literalField(entry: ts.ObjectLiteralExpression, field: 'meaning' | 'fix'): string {
  for (const p of entry.properties) {
    if (!ts.isPropertyAssignment(p) || propertyName(p.name) !== field) continue;
    if (ts.isStringLiteral(p.initializer) || ts.isNoSubstitutionTemplateLiteral(p.initializer))
      return p.initializer.text.replace(/\s+/g, ' ').trim();
  }
  return '';
}

function stringMembers(type: ts.TypeNode): ts.LiteralTypeNode[] {
  if (ts.isUnionTypeNode(type)) return type.types.flatMap(stringMembers);
  if (ts.isParenthesizedTypeNode(type)) return stringMembers(type.type);
  if (ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal)) return [type];
  return [];
}

/** Reads one package's registry: its code table, each entry with its meaning and fix, and its exported `…ErrorCode` type. */
export function readRegistry(name: string, root = ROOT): Registry {
  const file = path.join('packages', name, 'src', 'errors.ts');
  const text = readFileSync(path.join(root, file), 'utf8');
  const sf = sourceFile(file, text);
  const registry: Registry = { name, file, typeName: undefined, codes: [], kitFailures: [] };
  for (const statement of sf.statements) {
    if (!ts.isTypeAliasDeclaration(statement)) continue;
    const typeName = statement.name.text;
    if (typeName === 'KitFailure')
      registry.kitFailures = stringMembers(statement.type).map((m) => (m.literal as ts.StringLiteral).text);
    const exported = statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (exported && /ErrorCode$/.test(typeName)) registry.typeName = typeName;
  }
  const tables: ts.ObjectLiteralExpression[] = [];
  const visit = (node: ts.Node): void => {
    if (isCodeTable(node)) tables.push(node);
    else ts.forEachChild(node, visit);
  };
  visit(sf);
  if (tables.length > 1) {
    const lines = tables.map((t) => sf.getLineAndCharacterOfPosition(t.getStart(sf)).line + 1);
    throw new Error(`${file}: one code table per registry, found ${tables.length} (lines ${lines.join(', ')})`);
  }
  for (const entry of tables[0]?.properties ?? []) {
    const assignment = entry as ts.PropertyAssignment;
    const fields = assignment.initializer as ts.ObjectLiteralExpression;
    registry.codes.push({
      code: propertyName(assignment.name)!,
      meaning: literalField(fields, 'meaning'),
      fix: literalField(fields, 'fix'),
      line: sf.getLineAndCharacterOfPosition(assignment.getStart(sf)).line + 1,
    });
  }
  return registry;
}

export function readRegistries(root = ROOT): Registry[] {
  return packageNames(root).map((name) => readRegistry(name, root));
}

/** Registries whose codes lack a meaning or a fix, or repeat. */
export function documentationProblems(registries: Registry[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const r of registries) {
    for (const c of r.codes) {
      const where = `${r.file}:${c.line}`;
      if (!c.meaning)
        problems.push({ registry: r.name, message: `${c.code} (${where}) has no meaning: say what the code means` });
      if (!c.fix)
        problems.push({ registry: r.name, message: `${c.code} (${where}) has no fix: say what to do about it` });
      const other = seen.get(c.code);
      if (other) problems.push({ registry: r.name, message: `${c.code} (${where}) is also registered in ${other}` });
      seen.set(c.code, where);
    }
  }
  return problems;
}

/**
 * One table cell: on one line, `|` escaped, and outside `code spans` the characters
 * Markdown would read as emphasis or HTML (`*`, `<`, and `_` at a word's edge) escaped.
 */
export function cell(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[*<]|(?<!\w)_|_(?!\w)/g, (c) => `\\${c}`)))
    .join('')
    .replace(/\|/g, '\\|');
}

/** The common prefix of a registry's codes up to its last `_`, e.g. `CNPAAS_API_`. */
export function codePrefix(codes: string[]): string {
  if (codes.length === 0) return '';
  let prefix = codes[0]!;
  for (const code of codes) while (!code.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix.slice(0, prefix.lastIndexOf('_') + 1);
}

/** docs/errors.md. The same registries always give the same bytes. */
export function renderCatalogue(registries: Registry[]): string {
  const out: string[] = [];
  out.push(
    `<!-- Generated by \`${COMMAND}\` (scripts/errors-catalogue.ts) from packages/*/src/errors.ts. Do not edit: change the registry and regenerate. -->`,
    '',
    '# Error codes',
    '',
    'Every error a cnpaas program reports to the person running it carries a stable',
    'code, says what went wrong and, after `fix:`, what to do about it. These are all',
    'the codes, per package, as their registries define them. A message at run time',
    'names the object, file or flag at fault; the fix here is the general one.',
    '',
  );
  for (const r of registries) {
    const prefix = codePrefix(r.codes.map((c) => c.code));
    out.push(`- [${r.name}](#${r.name})${prefix ? ` (\`${prefix}*\`)` : ''}`);
  }
  for (const r of registries) {
    out.push('', `## ${r.name}`, '', `Registry: [${r.file}](../${r.file})${r.typeName ? `, \`${r.typeName}\`` : ''}.`);
    if (r.kitFailures.length > 0) {
      out.push(
        '',
        `No codes of its own: its helpers report ${r.kitFailures.map((k) => `\`${k}\``).join(', ')}`,
        'and each package files them under its own code (`TLS` becomes `CNPAAS_WEBHOOKS_TLS`).',
      );
    }
    if (r.codes.length === 0) continue;
    out.push('', '| Code | Meaning | Fix |', '| --- | --- | --- |');
    for (const c of r.codes) out.push(`| \`${c.code}\` | ${cell(c.meaning)} | ${cell(c.fix)} |`);
  }
  out.push('');
  return out.join('\n');
}

// --- Where codes are raised ---------------------------------------------------------------

export interface Raise {
  code: string;
  /** file:line, relative to the repository root. */
  at: string;
}

export interface RaiseReport {
  name: string;
  /** Raises of registered codes. */
  raised: Raise[];
  /** Raises of codes the registry does not have. */
  unregistered: Raise[];
  /** Registered codes raised nowhere in the package's built sources. */
  neverRaised: string[];
}

/** The built (non-test) sources of a package, as its tsconfig.json lists them. */
export function productionFiles(name: string, root = ROOT): string[] {
  const dir = path.join(root, 'packages', name);
  const configFile = path.join(dir, 'tsconfig.json');
  const read: { config?: unknown; error?: ts.Diagnostic } = ts.readConfigFile(configFile, (file) =>
    ts.sys.readFile(file),
  );
  if (read.error) throw new Error(`${configFile}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dir);
  return parsed.fileNames.filter((f) => !/\.test\.ts$/.test(f)).sort();
}

/** `@cnpaas/<name>[/<sub>]` → the package's source, from its package.json exports (dist/x.d.ts → src/x.ts). */
function workspacePaths(root: string): Record<string, string[]> {
  const paths: Record<string, string[]> = {};
  for (const name of readdirSync(path.join(root, 'packages'))) {
    const manifest = path.join(root, 'packages', name, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name?: string;
      exports?: Record<string, { types?: string } | string>;
    };
    if (!pkg.name || !pkg.exports || typeof pkg.exports !== 'object') continue;
    for (const [sub, target] of Object.entries(pkg.exports)) {
      const types = typeof target === 'string' ? target : target.types;
      if (!types) continue;
      const source = types.replace(/^\.\/dist\//, './src/').replace(/\.d\.ts$/, '.ts');
      paths[sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`] = [
        path.join(root, 'packages', name, source),
      ];
    }
  }
  return paths;
}

/** One program over every package's sources, workspace imports resolved to source so no build is needed. */
export function createProgram(names: string[], root = ROOT): ts.Program {
  const files = names.flatMap((name) => productionFiles(name, root));
  return ts.createProgram(files, {
    target: ts.ScriptTarget.ES2023,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    paths: workspacePaths(root),
  });
}

function stringLiterals(type: ts.Type): string[] {
  const parts = type.isUnion() ? type.types : [type];
  return parts.filter((t): t is ts.StringLiteralType => t.isStringLiteral()).map((t) => t.value);
}

function resolved(checker: ts.TypeChecker, symbol: ts.Symbol | undefined): ts.Symbol | undefined {
  return symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/** The string kinds the first parameter of a function type accepts. */
function firstParameterKinds(checker: ts.TypeChecker, type: ts.Type, at: ts.Node): string[] {
  const kinds = new Set<string>();
  for (const part of type.isUnion() ? type.types : [type]) {
    for (const signature of part.getCallSignatures()) {
      const first = signature.getParameters()[0];
      if (first) for (const kind of stringLiterals(checker.getTypeOfSymbolAtLocation(first, at))) kinds.add(kind);
    }
  }
  return [...kinds];
}

interface KitFactory {
  symbol: ts.Symbol;
  /** `CNPAAS_X_` in `kitErrors('CNPAAS_X_', XError)`, `new XError(\`CNPAAS_X_${kind}\`)` or `defineErrors({ prefix })`. */
  prefix: string;
  declaration: ts.Node;
}

/** A `defineErrors({ …, prefix: 'CNPAAS_X_' })` call: the prefix its class's `kit` files the kit's failures under. */
function defineErrorsPrefix(node: ts.Expression | undefined): string | undefined {
  if (!node || !ts.isCallExpression(node) || !ts.isIdentifier(node.expression)) return undefined;
  const options = node.arguments[0];
  if (node.expression.text !== 'defineErrors' || !options || !ts.isObjectLiteralExpression(options)) return undefined;
  for (const p of options.properties) {
    if (ts.isPropertyAssignment(p) && propertyName(p.name) === 'prefix' && ts.isStringLiteral(p.initializer))
      return p.initializer.text;
  }
  return undefined;
}

/**
 * The registry's classes (declared, or made by `defineErrors`) and its kit factories: an exported
 * function building codes from a template, or the `kit` of a class `defineErrors` made with a prefix
 * (keyed by the class: `XError.kit` is found by what it is read from).
 */
function registryShapes(
  checker: ts.TypeChecker,
  errorsFile: ts.SourceFile,
): { classes: Set<ts.Symbol>; kit: KitFactory[]; classKit: KitFactory[] } {
  const classes = new Set<ts.Symbol>();
  const kit: KitFactory[] = [];
  const classKit: KitFactory[] = [];
  for (const statement of errorsFile.statements) {
    if (ts.isClassDeclaration(statement) && statement.name) {
      const symbol = checker.getSymbolAtLocation(statement.name);
      if (symbol) classes.add(symbol);
      const base = statement.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)?.types[0];
      const prefix = defineErrorsPrefix(base?.expression);
      if (symbol && prefix !== undefined) classKit.push({ symbol, prefix, declaration: statement.name });
    }
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations) {
      const init = decl.initializer;
      if (!init || !ts.isIdentifier(decl.name)) continue;
      // service-kit's defineErrors makes the registry's class.
      if (ts.isCallExpression(init) && ts.isIdentifier(init.expression) && init.expression.text === 'defineErrors') {
        const symbol = checker.getSymbolAtLocation(decl.name);
        if (symbol) classes.add(symbol);
        const prefix = defineErrorsPrefix(init);
        if (symbol && prefix !== undefined) classKit.push({ symbol, prefix, declaration: decl.name });
        continue;
      }
      // service-kit's builder: the prefix is its first argument.
      if (
        ts.isCallExpression(init) &&
        ts.isIdentifier(init.expression) &&
        init.expression.text === 'kitErrors' &&
        init.arguments[0] &&
        ts.isStringLiteral(init.arguments[0])
      ) {
        const symbol = checker.getSymbolAtLocation(decl.name);
        if (symbol) kit.push({ symbol, prefix: init.arguments[0].text, declaration: decl.name });
        continue;
      }
      if (!(ts.isArrowFunction(init) || ts.isFunctionExpression(init))) continue;
      const param = init.parameters[0]?.name;
      let prefix: string | undefined;
      const visit = (node: ts.Node): void => {
        if (ts.isTemplateExpression(node) && node.templateSpans.length === 1 && param && ts.isIdentifier(param)) {
          const span = node.templateSpans[0]!;
          if (ts.isIdentifier(span.expression) && span.expression.text === param.text && span.literal.text === '')
            prefix = node.head.text;
        }
        ts.forEachChild(node, visit);
      };
      visit(init);
      const symbol = checker.getSymbolAtLocation(decl.name);
      if (prefix && symbol) kit.push({ symbol, prefix, declaration: decl.name });
    }
  }
  return { classes, kit, classKit };
}

/** Where each package raises which codes. */
export function findRaises(
  registries: Registry[],
  root = ROOT,
  program = createProgram(
    registries.map((r) => r.name),
    root,
  ),
): RaiseReport[] {
  const checker = program.getTypeChecker();
  const reports: RaiseReport[] = [];
  for (const registry of registries) {
    const registered = new Set(registry.codes.map((c) => c.code));
    const prefix = codePrefix([...registered]);
    const errorsFile = program.getSourceFile(path.join(root, registry.file));
    if (!errorsFile) throw new Error(`${registry.file} is not among the package's built sources`);
    const { classes, kit, classKit } = registryShapes(checker, errorsFile);
    const raises: Raise[] = [];
    const add = (code: string, node: ts.Node) => {
      const sf = node.getSourceFile();
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
      raises.push({ code, at: `${path.relative(root, sf.fileName)}:${line}` });
    };
    for (const file of productionFiles(registry.name, root)) {
      const sf = program.getSourceFile(file);
      if (!sf) continue;
      const visit = (node: ts.Node): void => {
        if (
          (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) &&
          !ts.isLiteralTypeNode(node.parent) &&
          /^[A-Z][A-Z0-9_]*$/.test(node.text)
        ) {
          // Through `(…)`, `as …` and `satisfies …`: `'X' as never` is still the argument.
          let outer: ts.Expression = node;
          while (
            ts.isParenthesizedExpression(outer.parent) ||
            ts.isAsExpression(outer.parent) ||
            ts.isSatisfiesExpression(outer.parent) ||
            ts.isTypeAssertionExpression(outer.parent)
          )
            outer = outer.parent;
          const parent = outer.parent;
          const expectsCode = [node, outer].some((n) => {
            const contextual = checker.getContextualType(n);
            return contextual !== undefined && stringLiterals(contextual).some((c) => registered.has(c));
          });
          const classArgument =
            ts.isNewExpression(parent) &&
            parent.arguments?.[0] === outer &&
            classes.has(resolved(checker, checker.getSymbolAtLocation(parent.expression))!);
          const codeField =
            ts.isPropertyAssignment(parent) &&
            parent.initializer === outer &&
            parent.name.getText(sf) === 'code' &&
            prefix !== '' &&
            node.text.startsWith(prefix);
          if (expectsCode || classArgument || codeField) add(node.text, node);
        }
        // `kitError` (an exported factory) or `XError.kit` (the factory of a class made with a prefix).
        const factory = ts.isIdentifier(node)
          ? kit.find((k) => k.declaration !== node && resolved(checker, checker.getSymbolAtLocation(node)) === k.symbol)
          : ts.isPropertyAccessExpression(node) && node.name.text === 'kit'
            ? classKit.find((k) => resolved(checker, checker.getSymbolAtLocation(node.expression)) === k.symbol)
            : undefined;
        // The class itself handed where its `kit` is used (`MtlsJsonServerKind`'s `errors`): the kinds
        // that parameter's `kit` takes are raised, as if `XError.kit` had been handed over.
        const handedClass =
          !factory && ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node.parent)
            ? classKit.find(
                (k) => k.declaration !== node && resolved(checker, checker.getSymbolAtLocation(node)) === k.symbol,
              )
            : undefined;
        const expectedKit = handedClass && checker.getContextualType(node)?.getProperty('kit');
        if (handedClass && expectedKit) {
          for (const kind of firstParameterKinds(checker, checker.getTypeOfSymbolAtLocation(expectedKit, node), node))
            add(`${handedClass.prefix}${kind}`, node);
        }
        if (factory) {
          if (!ts.isImportSpecifier(node.parent) && !ts.isExportSpecifier(node.parent)) {
            const parent = node.parent;
            let kinds: string[];
            if (ts.isCallExpression(parent) && parent.expression === node) {
              const first = parent.arguments[0];
              kinds =
                first && ts.isStringLiteralLike(first)
                  ? [first.text]
                  : firstParameterKinds(checker, checker.getTypeAtLocation(node), node);
            } else {
              const contextual = checker.getContextualType(node);
              kinds = firstParameterKinds(checker, contextual ?? checker.getTypeAtLocation(node), node);
            }
            for (const kind of kinds) add(`${factory.prefix}${kind}`, node);
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
    const raisedCodes = new Set(raises.map((r) => r.code));
    reports.push({
      name: registry.name,
      raised: raises.filter((r) => registered.has(r.code)),
      unregistered: raises.filter((r) => !registered.has(r.code)),
      neverRaised: [...registered].filter((c) => !raisedCodes.has(c)),
    });
  }
  return reports;
}

function main(argv: string[]): number {
  const registries = readRegistries();
  const problems = documentationProblems(registries);
  for (const p of problems) process.stderr.write(`errors-catalogue: ${p.message}\n`);
  const text = renderCatalogue(registries);
  const target = path.join(ROOT, CATALOGUE);
  const current = existsSync(target) ? readFileSync(target, 'utf8') : '';
  if (argv.includes('--check')) {
    if (current !== text) {
      process.stderr.write(`errors-catalogue: ${CATALOGUE} is out of date: run ${COMMAND}\n`);
      return 1;
    }
    return problems.length > 0 ? 1 : 0;
  }
  if (current !== text) writeFileSync(target, text);
  process.stdout.write(
    `${CATALOGUE}: ${registries.reduce((n, r) => n + r.codes.length, 0)} codes from ${registries.length} registries${current === text ? ' (unchanged)' : ''}\n`,
  );
  return problems.length > 0 ? 1 : 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main(process.argv.slice(2));
