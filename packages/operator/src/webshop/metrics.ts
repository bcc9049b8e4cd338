/** The webshop controllers' own Prometheus metrics, beside the runtime's `cnpaas_controller_*`. */
import { defineMetrics } from '@cnpaas/service-kit/metrics';

export class WebshopMetrics extends defineMetrics({
  metrics: {
    registrationsCompleted: {
      counter: 'cnpaas_webshop_registrations_completed_total',
      help: 'RegistrationRequests turned into a Tenant, User and welcome Email, and deleted',
    },
    nameConflicts: {
      counter: 'cnpaas_webshop_name_conflicts_total',
      help: 'Times a child object was in the way and not ours (NameConflict), per kind',
      labels: ['kind'],
    },
    claimsReleased: {
      counter: 'cnpaas_webshop_email_claims_released_total',
      help: 'Email claims deleted because their registration and user were both gone',
    },
    passwordsStored: {
      counter: 'cnpaas_webshop_password_hashes_stored_total',
      help: 'Password hashes moved from a User annotation into its Secret',
    },
  },
}) {}
