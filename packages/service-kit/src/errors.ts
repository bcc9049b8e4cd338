/**
 * The base of every package's error registry. Each package keeps its own
 * class and its own stable codes (`CNPAAS_WEBHOOKS_*`, `CNPAAS_API_*`, …);
 * this gives them one shape: a code, a hint that says what to do, a cause,
 * and `describe()` for the person running the program.
 *
 * `instanceof` goes by a `Symbol.for` brand, not the prototype chain, so it
 * also holds across two copies of a package (the undici pattern): a service
 * may bundle its own copy. Each subclass sets its own `brand`, or it could
 * not be told apart from its siblings. Its `name` is its class's name.
 *
 * A package's registry is one table of codes made into its class by
 * `defineErrors` (define-errors.ts), whose `kit` files the kit's failures
 * under those codes (`kitErrors`, below).
 */

import type { KubeStatus } from './kube-status.js';

export interface ServiceErrorOptions {
  /** What to do about it, shown after "fix:". */
  hint?: string;
  cause?: unknown;
}

export class ServiceError<Code extends string = string> extends Error {
  static readonly brand: symbol = Symbol.for('cnpaas.service-kit.ServiceError');

  /** The concrete class's name (`WebhooksError`, …), as `Error` subclasses name themselves. */
  override readonly name: string;
  readonly hint: string | undefined;

  constructor(
    readonly code: Code,
    message: string,
    options: ServiceErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.hint = options.hint;
    // One brand per class from the concrete one up, so `instanceof ServiceError` holds for every subclass.
    for (let type: unknown = new.target; type !== Error; type = Object.getPrototypeOf(type)) {
      if (Object.hasOwn(type as object, 'brand'))
        (this as unknown as Record<symbol, true>)[(type as typeof ServiceError).brand] = true;
    }
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[this.brand] === true;
  }

  /** The text shown to a person: what went wrong, then what to do. */
  describe(): string {
    return this.hint ? `${this.code}: ${this.message}\n  fix: ${this.hint}` : `${this.code}: ${this.message}`;
  }
}

export interface HttpServiceErrorOptions extends KitErrorOptions {
  /** For a server behind the aggregator, which answers in `metav1.Status`: the Status to answer with. */
  status?: KubeStatus;
}

/**
 * A `ServiceError` that may end an HTTP request: it carries what to answer
 * with, the status of a JSON server's refusal (`jsonErrorHandler`) or the
 * whole `metav1.Status` of a server behind the aggregator. The base of the
 * error classes of the packages that serve requests.
 */
export class HttpServiceError<Code extends string = string> extends ServiceError<Code> {
  static override readonly brand: symbol = Symbol.for('cnpaas.service-kit.HttpServiceError');

  /** The HTTP status to answer with when this error ends a request; 500 when unset. */
  readonly httpStatus: number | undefined;
  /** The Status to answer with, for a server that answers in them. */
  readonly status: KubeStatus | undefined;

  constructor(code: Code, message: string, options: HttpServiceErrorOptions = {}) {
    super(code, message, options);
    this.httpStatus = options.httpStatus;
    this.status = options.status;
  }
}

/**
 * A one-line description of any thrown value, for logs and messages.
 * client-node's `ApiException` message spans lines (code, message, the whole
 * body, every header); only its "Message:" line is worth showing.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof ServiceError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) {
    const apiMessage = /^Message: (.*)$/m.exec(err.message);
    if (err.message.startsWith('HTTP-Code:') && apiMessage) return apiMessage[1]!;
    return err.message.split('\n')[0]!;
  }
  return String(err);
}

/** The failures the kit's helpers report. Each package files them under its own codes: TLS → CNPAAS_WEBHOOKS_TLS. */
export type KitFailure =
  'BAD_FLAG' | 'TLS' | 'KUBECONFIG' | 'LISTEN' | 'CLIENT_CERT_REQUIRED' | 'CLIENT_NOT_ALLOWED' | 'BODY_NOT_JSON';

/**
 * The failures of `authenticateFrontProxy`, apart from `KitFailure`: only an
 * aggregated API server has codes for them, and a package's `ErrorFactory`
 * (all of `KitFailure` by default) must not have to.
 */
export type FrontProxyFailure = 'UNAUTHENTICATED' | 'PROXY_NOT_ALLOWED' | 'NO_USER';

/** The failure of `parseAdmissionReview`: only an admission webhook server has a code for it. */
export type AdmissionFailure = 'BAD_REVIEW';

export interface KitErrorOptions extends ServiceErrorOptions {
  /** Set for failures that end an HTTP request: the status to answer with. */
  httpStatus?: number;
}

/**
 * Makes the package's own error for one of the kit's failures, e.g.
 * `kitErrors('CNPAAS_WEBHOOKS_', WebhooksError)`: TLS → a `CNPAAS_WEBHOOKS_TLS` WebhooksError.
 * Each helper names the kinds it may raise, so a package only maps those it has codes for.
 */
export type ErrorFactory<Kind extends KitFailure | FrontProxyFailure | AdmissionFailure = KitFailure> = (
  kind: Kind,
  message: string,
  options: KitErrorOptions,
) => Error;

/**
 * The `ErrorFactory` that files each kit failure under the package's code `<prefix><KIND>`:
 * `kitErrors('CNPAAS_WEBHOOKS_', WebhooksError)` makes TLS a `CNPAAS_WEBHOOKS_TLS` WebhooksError.
 * The class must take every such code, so a package cannot map a kind it has no code for.
 */
export function kitErrors<
  Prefix extends string,
  Kind extends KitFailure | FrontProxyFailure | AdmissionFailure = KitFailure,
>(
  prefix: Prefix,
  // NoInfer: the prefix and the kinds come from the call, and the class is only checked against them.
  ErrorClass: NoInfer<new (code: `${Prefix}${Kind}`, message: string, options: KitErrorOptions) => Error>,
): ErrorFactory<Kind> {
  return (kind, message, options) => new ErrorClass(`${prefix}${kind}`, message, options);
}
