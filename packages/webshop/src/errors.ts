/**
 * The error registry of the webshop's composition: what `cnpaas mail` (a
 * command the webshop adds to the CLI) can refuse.
 */
import { ServiceError, type ServiceErrorOptions } from '@cnpaas/service-kit';

export type WebshopErrorCode =
  /**
   * cnpaas mail was given an id that names no message the demo's SMTP server received.
   * @fix Run cnpaas mail (no id) to list the ids, and pass one of them.
   */
  'CNPAAS_WEBSHOP_NO_SUCH_MAIL';

export class WebshopError extends ServiceError<WebshopErrorCode> {
  static override readonly brand: symbol = Symbol.for('cnpaas.webshop.WebshopError');

  constructor(code: WebshopErrorCode, message: string, options?: ServiceErrorOptions) {
    super(code, message, options);
  }
}
