/**
 * Names taken from a URL, checked before they reach a request: Kubernetes'
 * own rules (apimachinery's IsDNS1123Label / IsDNS1123Subdomain), so a
 * path segment can never smuggle `..`, `/`, `?` or an encoded character
 * into a kube API path, and a mistyped name is answered here with the rule
 * it breaks rather than with whatever the apiserver makes of it.
 */
import { ConsoleError } from './errors.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_MAX = 63;
const DNS_SUBDOMAIN_MAX = 253;

export function isDnsLabel(value: string): boolean {
  return value.length <= DNS_LABEL_MAX && DNS_LABEL.test(value);
}

/** Dot-separated DNS labels, at most 253 characters in all. */
export function isDnsSubdomain(value: string): boolean {
  return value.length > 0 && value.length <= DNS_SUBDOMAIN_MAX && value.split('.').every(isDnsLabel);
}

export type NameRule = 'label' | 'subdomain';

/** `value` when it follows `rule`; otherwise a 400 naming the parameter and the rule. */
export function checkName(value: unknown, options: { what: string; rule: NameRule }): string {
  const text = typeof value === 'string' ? value : '';
  const ok = options.rule === 'label' ? isDnsLabel(text) : isDnsSubdomain(text);
  if (ok) return text;
  const rule =
    options.rule === 'label'
      ? `a DNS label: at most ${DNS_LABEL_MAX} lower-case letters, digits or '-', starting and ending with a letter or digit`
      : `a DNS subdomain: at most ${DNS_SUBDOMAIN_MAX} characters of dot-separated DNS labels (lower-case letters, digits, '-')`;
  throw new ConsoleError(
    'CNPAAS_CONSOLE_BAD_NAME',
    `${options.what} ${JSON.stringify(text.slice(0, 80))} is not ${rule}`,
    {
      httpStatus: 400,
      hint: 'use the name as kubectl shows it',
    },
  );
}
