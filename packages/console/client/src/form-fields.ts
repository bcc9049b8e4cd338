/**
 * The sign-up form's fields: their paths under the RegistrationRequest's
 * `spec` (the same list as the server's FORM_FIELDS; a unit test compares
 * them), labels and what the browser may autofill.
 */
export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'tel' | 'password';
  autocomplete: string;
  optional?: boolean;
  hint?: string;
}

export interface FieldGroup {
  legend: string;
  fields: FieldSpec[];
}

export const FIELD_GROUPS: FieldGroup[] = [
  {
    legend: 'You',
    fields: [
      { name: 'user.firstName', label: 'First name', autocomplete: 'given-name' },
      { name: 'user.lastName', label: 'Last name', autocomplete: 'family-name' },
      { name: 'user.email', label: 'Email', type: 'email', autocomplete: 'email' },
      {
        name: 'user.phoneNumber',
        label: 'Phone',
        type: 'tel',
        autocomplete: 'tel',
        optional: true,
        hint: 'E.164, for example +4930123456',
      },
      {
        name: 'password',
        label: 'Password',
        type: 'password',
        autocomplete: 'new-password',
        hint: '8 to 64 characters with an upper-case and a lower-case letter, a digit and a special character',
      },
    ],
  },
  {
    legend: 'Your company',
    fields: [
      {
        name: 'tenant.companyName',
        label: 'Company name',
        autocomplete: 'organization',
        optional: true,
        hint: 'your own name when left empty',
      },
      { name: 'tenant.country', label: 'Country code', autocomplete: 'country', hint: 'for example DE or GBR' },
      { name: 'tenant.city', label: 'City', autocomplete: 'address-level2' },
      { name: 'tenant.address', label: 'Street address', autocomplete: 'street-address' },
      { name: 'tenant.postalCode', label: 'Postal code', autocomplete: 'postal-code' },
      { name: 'tenant.taxNumber', label: 'Tax or VAT number', autocomplete: 'off', optional: true },
    ],
  },
];

export const CLIENT_FORM_FIELDS: string[] = FIELD_GROUPS.flatMap((g) => g.fields.map((f) => f.name));

/** A field's element id: dots are legal in ids but awkward in CSS selectors. */
export function fieldId(name: string): string {
  return `f-${name.replace(/\./g, '-')}`;
}
