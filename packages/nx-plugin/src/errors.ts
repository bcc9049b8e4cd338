/**
 * The error registry of the Nx plugin. A generator refuses bad options
 * before it writes a file, with a message that names the option and the fix.
 * The class, the code union and docs/errors.md come from the table below
 * (@cnpaas/service-kit's `defineErrors`, the registry every generated
 * service uses too).
 */
import { defineErrors, ServiceError } from '@cnpaas/service-kit/define-errors';

export class NxPluginError extends defineErrors({
  package: 'nx-plugin',
  name: 'NxPluginError',
  prefix: 'CNPAAS_NX_PLUGIN_',
  base: ServiceError,
  codes: {
    CNPAAS_NX_PLUGIN_BAD_OPTION: {
      meaning:
        'An option of nx g @cnpaas/nx-plugin:service is malformed (a name that is not kebab-case, a kind that is not PascalCase, a group that is not a DNS subdomain, a --plural that is not a DNS-1035 label or equals the singular, a name or kind the templates reserve) or the package exists.',
      fix: 'Pass the option as the message suggests (e.g. --name stock-keeper --kind Widget), or pick a name not yet under packages/.',
    },
  },
}) {}
export type NxPluginErrorCode = NxPluginError['code'];

/**
 * A refused option. Nx prints only an error's message, never its code or
 * hint, so the message carries both: the code, what is wrong, and the fix.
 */
export function badOption(message: string, hint: string): NxPluginError {
  const code: NxPluginErrorCode = 'CNPAAS_NX_PLUGIN_BAD_OPTION';
  return new NxPluginError(code, `${code}: ${message}\n  fix: ${hint}`, { hint });
}
