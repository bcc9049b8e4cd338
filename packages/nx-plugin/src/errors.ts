/**
 * The error registry of the Nx plugin. A generator refuses bad options
 * before it writes a file, with a message that names the option and the fix.
 */
export type NxPluginErrorCode =
  /**
   * An option of nx g @cnpaas/nx-plugin:service is malformed (a name that is not kebab-case, a kind that is not
   * PascalCase, a group that is not a DNS subdomain, a name or kind the templates reserve) or the package exists.
   * @fix Pass the option as the message suggests (e.g. --name stock-keeper --kind Widget), or pick a name not yet under
   * packages/.
   */
  'CNPAAS_NX_PLUGIN_BAD_OPTION';

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
