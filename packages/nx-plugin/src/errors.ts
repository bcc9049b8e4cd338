/**
 * The error registry of the Nx plugin. A generator refuses bad options
 * before it writes a file, with a message that names the option and the fix.
 */
/**
 * The codes of `NxPluginError`, each with what it means and what to do about
 * it (the table docs/errors.md is made of, as every package's registry is).
 * The plugin keeps its own class: Nx prints only an error's message.
 */
export const NX_PLUGIN_ERROR_CODES = {
  CNPAAS_NX_PLUGIN_BAD_OPTION: {
    meaning:
      'An option of nx g @cnpaas/nx-plugin:service is malformed (a name that is not kebab-case, a kind that is not PascalCase, a group that is not a DNS subdomain, a --plural that is not a DNS-1035 label or equals the singular, a name or kind the templates reserve) or the package exists.',
    fix: 'Pass the option as the message suggests (e.g. --name stock-keeper --kind Widget), or pick a name not yet under packages/.',
  },
};

export type NxPluginErrorCode = keyof typeof NX_PLUGIN_ERROR_CODES;

export class NxPluginError extends Error {
  override readonly name = 'NxPluginError';
  constructor(
    readonly code: NxPluginErrorCode,
    message: string,
    /** What to do instead. */
    readonly hint: string,
  ) {
    // Nx prints only the message: the hint goes into it, so the fix is on screen.
    super(`${code}: ${message}\n  fix: ${hint}`);
  }
}
