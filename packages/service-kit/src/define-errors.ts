/**
 * A package's error registry, written once as a table: each stable code
 * with what it means and what to do about it. From that one table come the
 * package's error class (its name, its `Symbol.for` brand, its base), the
 * union of its codes (`XError['code']`) and docs/errors.md
 * (scripts/errors-catalogue.ts reads the table's literal strings, so they
 * stay literals).
 *
 *     export const ShopError = defineErrors({
 *       package: 'shop',
 *       name: 'ShopError',
 *       codes: {
 *         CNPAAS_SHOP_BAD_FLAG: { meaning: 'A flag is malformed.', fix: 'Run cnpaas-shop --help.' },
 *       },
 *     });
 *     export type ShopError = InstanceType<typeof ShopError>;
 *     export type ShopErrorCode = ShopError['code'];
 *
 * The message and the hint stay with each raise: they name the file, flag
 * or object at fault, where the table's fix is the general one.
 */
import {
  HttpServiceError,
  type HttpServiceErrorOptions,
  type ServiceError,
  type ServiceErrorOptions,
} from './errors.js';

/** One code of a registry, as docs/errors.md shows it. */
export interface ErrorCodeInfo {
  /** What the code means. */
  readonly meaning: string;
  /** What to do about it, in general. */
  readonly fix: string;
}

/** A registry's codes (`CNPAAS_<PACKAGE>_<WHAT>`), each with its meaning and fix. */
export type ErrorCodeTable = Readonly<Record<string, ErrorCodeInfo>>;

/** The class `defineErrors` makes: constructed like its base, with a code of the registry. */
export interface RegisteredErrorClass<Code extends string, Options, Instance extends ServiceError<Code>> {
  new (code: Code, message: string, options?: Options): Instance;
  readonly prototype: Instance;
  readonly brand: symbol;
  /** The table the class was made from. */
  readonly codes: Readonly<Record<Code, ErrorCodeInfo>>;
}

export interface DefineErrorsOptions<Table extends ErrorCodeTable> {
  /** The package's directory name: the brand is `Symbol.for('cnpaas.<package>.<name>')`. */
  package: string;
  /** The class's name, which every error of it carries as `name` (`WebhooksError`). */
  name: string;
  codes: Table;
}

type CodeOf<Table> = keyof Table & string;

// One signature per base the kit offers, so an error's type is that class under the registry's codes
// (`HttpServiceError<'CNPAAS_X_…'>`): a class, which lint rules and inferred type predicates recognise.
/** Errors that may end a request, with their `httpStatus` or Kubernetes `status` (the default). */
export function defineErrors<const Table extends ErrorCodeTable>(
  options: DefineErrorsOptions<Table> & { base?: typeof HttpServiceError },
): RegisteredErrorClass<CodeOf<Table>, HttpServiceErrorOptions, HttpServiceError<CodeOf<Table>>>;
/** Errors of a process that answers no requests: a code, a message and a hint. */
export function defineErrors<const Table extends ErrorCodeTable>(
  options: DefineErrorsOptions<Table> & { base: typeof ServiceError },
): RegisteredErrorClass<CodeOf<Table>, ServiceErrorOptions, ServiceError<CodeOf<Table>>>;
export function defineErrors(
  options: DefineErrorsOptions<ErrorCodeTable> & { base?: typeof ServiceError },
): RegisteredErrorClass<string, ServiceErrorOptions, ServiceError> {
  const Registered = class extends (options.base ?? HttpServiceError) {
    // Its own brand: without one it could not be told apart from its siblings on the same base.
    static override readonly brand: symbol = Symbol.for(`cnpaas.${options.package}.${options.name}`);
    static readonly codes: ErrorCodeTable = options.codes;
  };
  // ServiceError names each error after `new.target.name`, and a class expression has none of its own.
  Object.defineProperty(Registered, 'name', { value: options.name });
  return Registered;
}
