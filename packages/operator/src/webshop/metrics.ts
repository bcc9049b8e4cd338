/** The webshop controllers' own Prometheus metrics, beside the runtime's `cnpaas_controller_*`. */
import { Counter, type Registry } from 'prom-client';

export class WebshopMetrics {
  readonly registrationsCompleted: Counter;
  readonly nameConflicts: Counter<'kind'>;
  readonly claimsReleased: Counter;
  readonly passwordsStored: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.registrationsCompleted = new Counter({
      name: 'cnpaas_webshop_registrations_completed_total',
      help: 'RegistrationRequests turned into a Tenant, User and welcome Email, and deleted',
      registers,
    });
    this.nameConflicts = new Counter({
      name: 'cnpaas_webshop_name_conflicts_total',
      help: 'Times a child object was in the way and not ours (NameConflict), per kind',
      labelNames: ['kind'],
      registers,
    });
    this.claimsReleased = new Counter({
      name: 'cnpaas_webshop_email_claims_released_total',
      help: 'Email claims deleted because their registration and user were both gone',
      registers,
    });
    this.passwordsStored = new Counter({
      name: 'cnpaas_webshop_password_hashes_stored_total',
      help: 'Password hashes moved from a User annotation into its Secret',
      registers,
    });
  }
}
