/**
 * A package's error registry, written once as a table: each stable code
 * with what it means and what to do about it. From that one table come the
 * package's error class (its name, its `Symbol.for` brand, its base), the
 * union of its codes (`XError['code']`), the factory that files the kit's
 * failures under those codes (`XError.kit`) and docs/errors.md
 * (scripts/errors-catalogue.ts reads the table's literal strings, so they
 * stay literals). A registry file is the table and this one declaration:
 *
 *     export class ShopError extends defineErrors({
 *       package: 'shop',
 *       name: 'ShopError',
 *       prefix: 'CNPAAS_SHOP_',
 *       codes: {
 *         CNPAAS_SHOP_BAD_FLAG: { meaning: 'A flag is malformed.', fix: 'Run cnpaas-shop --help.' },
 *       },
 *     }) {}
 *     export type ShopErrorCode = ShopError['code'];
 *
 * A class declaration, not a `const`: it names the value and the instance
 * type at once. The message and the hint stay with each raise: they name the
 * file, flag or object at fault, where the table's fix is the general one.
 *
 * `@cnpaas/service-kit/define-errors` is this file alone, with the two bases,
 * for a package that should not load the rest of the kit (the Nx plugin).
 */
import {
  HttpServiceError,
  kitErrors,
  type AdmissionFailure,
  type ErrorFactory,
  type HttpServiceErrorOptions,
  type KitFailure,
  type ServiceError,
  type ServiceErrorOptions,
} from './errors.js';

export { HttpServiceError, ServiceError } from './errors.js';
export type { ErrorFactory, HttpServiceErrorOptions, ServiceErrorOptions } from './errors.js';

/** One code of a registry, as docs/errors.md shows it. */
export interface ErrorCodeInfo {
  /** What the code means. */
  readonly meaning: string;
  /** What to do about it, in general. */
  readonly fix: string;
}

/** A registry's codes (`CNPAAS_<PACKAGE>_<WHAT>`), each with its meaning and fix. */
export type ErrorCodeTable = Readonly<Record<string, ErrorCodeInfo>>;

/** The kit's failures a registry's `kit` may file: all but the front proxy's refusals. */
type KitKind = KitFailure | AdmissionFailure;

/**
 * The kit's failure kinds a registry has a code for under its prefix: `TLS` when it has `<prefix>TLS`
 * (none without a prefix). The front proxy's refusals are not among them: they are answered with a
 * Status that only the package can make.
 */
export type KitKindsOf<Prefix extends string, Code extends string> = [Prefix] extends [never]
  ? never
  : { [Kind in KitKind]: `${Prefix}${Kind}` extends Code ? Kind : never }[KitKind];

/** The class `defineErrors` makes: constructed like its base, with a code of the registry. */
export interface RegisteredErrorClass<
  Code extends string,
  Options,
  Instance extends ServiceError<Code>,
  Prefix extends string = never,
> {
  new (code: Code, message: string, options?: Options): Instance;
  readonly prototype: Instance;
  readonly brand: symbol;
  /** The table the class was made from. */
  readonly codes: Readonly<Record<Code, ErrorCodeInfo>>;
  /**
   * The kit's failures under this registry's codes, for the kit's helpers (`readFlags({ error:
   * XError.kit })`): TLS becomes a `<prefix>TLS` error of the class it is read from.
   */
  readonly kit: ErrorFactory<KitKindsOf<Prefix, Code>>;
}

export interface DefineErrorsOptions<Table extends ErrorCodeTable, Prefix extends string = never> {
  /** The package's directory name: the brand is `Symbol.for('cnpaas.<package>.<name>')`. */
  package: string;
  /** The class's name, which every error of it carries as `name` (`WebhooksError`). */
  name: string;
  /** What every code starts with (`CNPAAS_WEBHOOKS_`); `kit` files the kit's failures under it. */
  prefix?: Prefix;
  codes: Table;
}

type CodeOf<Table> = keyof Table & string;

// One signature per base the kit offers, so an error's type is that class under the registry's codes
// (`HttpServiceError<'CNPAAS_X_…'>`): a class, which lint rules and inferred type predicates recognise.
/** Errors that may end a request, with their `httpStatus` or Kubernetes `status` (the default). */
export function defineErrors<const Table extends ErrorCodeTable, const Prefix extends string = never>(
  options: DefineErrorsOptions<Table, Prefix> & { base?: typeof HttpServiceError },
): RegisteredErrorClass<CodeOf<Table>, HttpServiceErrorOptions, HttpServiceError<CodeOf<Table>>, Prefix>;
/** Errors of a process that answers no requests: a code, a message and a hint. */
export function defineErrors<const Table extends ErrorCodeTable, const Prefix extends string = never>(
  options: DefineErrorsOptions<Table, Prefix> & { base: typeof ServiceError },
): RegisteredErrorClass<CodeOf<Table>, ServiceErrorOptions, ServiceError<CodeOf<Table>>, Prefix>;
export function defineErrors(
  options: DefineErrorsOptions<ErrorCodeTable, string> & { base?: typeof ServiceError },
): RegisteredErrorClass<string, ServiceErrorOptions, ServiceError, string> {
  const { prefix } = options;
  const strays = prefix === undefined ? [] : Object.keys(options.codes).filter((code) => !code.startsWith(prefix));
  if (strays.length > 0)
    throw new Error(
      `defineErrors(${options.name}): ${strays.join(', ')} ${strays.length === 1 ? 'does' : 'do'} not start with the prefix ${prefix}; rename the code or correct the prefix`,
    );
  const Registered = class extends (options.base ?? HttpServiceError) {
    // Its own brand: without one it could not be told apart from its siblings on the same base.
    static override readonly brand: symbol = Symbol.for(`cnpaas.${options.package}.${options.name}`);
    static readonly codes: ErrorCodeTable = options.codes;

    // A getter, so `this` is the class it is read from: the package's own declaration, which extends this one.
    static get kit(): ErrorFactory<KitKind> {
      if (prefix === undefined)
        throw new Error(
          `defineErrors(${options.name}): kit needs a prefix; pass the one every code starts with (prefix: 'CNPAAS_X_')`,
        );
      return kitErrors(prefix, this);
    }
  };
  // ServiceError names each error after `new.target.name`, and a class expression has none of its own.
  Object.defineProperty(Registered, 'name', { value: options.name });
  return Registered;
}
