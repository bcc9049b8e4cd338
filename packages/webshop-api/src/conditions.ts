/**
 * The condition types and Event reasons the webshop's controllers write,
 * written once: the operator sets them, and anything that reads progress
 * (the console's registration timeline, `kubectl wait --for=condition=…`,
 * tests) names them from here.
 */

/** On every webshop kind: the object has everything it needs. */
export const READY_CONDITION = 'Ready';
/** An object with this one's name is in the way and is not ours to adopt. */
export const NAME_CONFLICT_CONDITION = 'NameConflict';
/** On an EmailTemplate: it renders with the placeholders the operator fills. */
export const VALID_CONDITION = 'Valid';

/** On a RegistrationRequest, one per step, in the order the operator takes them. */
export const REGISTRATION_CONDITIONS = {
  tenantCreated: 'TenantCreated',
  namespaceReady: 'NamespaceReady',
  userCreated: 'UserCreated',
  emailCreated: 'EmailCreated',
} as const;

/** On a User: its email address was verified through the link in its welcome mail. */
export const VERIFIED_CONDITION = 'Verified';

/** On a User: its password Secret, its ServiceAccount's access to its own Tenant, its verified address. */
export const USER_CONDITIONS = {
  passwordStored: 'PasswordStored',
  tenantAccess: 'TenantAccess',
  verified: VERIFIED_CONDITION,
} as const;

/** On an Email: True once the SMTP server accepted it (written by the email function). */
export const SENT_CONDITION = 'Sent';

/** Reasons of the Normal Events that mark a registration's milestones. */
export const REGISTRATION_EVENTS = {
  /** regarding the Tenant: its Namespace was created. */
  namespaceCreated: 'NamespaceCreated',
  /** regarding the Tenant: every child exists and the RegistrationRequest was deleted. */
  registered: 'Registered',
} as const;
