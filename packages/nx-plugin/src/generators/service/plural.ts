/**
 * The plural resource name of a kind. A CRD has to spell it out
 * (`spec.names.plural`), kubectl and every URL use it, and nothing can rename
 * it once objects are stored, so the guess follows Kubernetes' own rules for
 * its built-in resources (k8s.io/gengo's plural namer: s, x, z, ch and sh take
 * -es, a consonant then y takes -ies), plus the English -f/-fe that take -ves
 * (shelf, leaf, knife), which the namer spells wrong for words like cliff or
 * roof. Anything else irregular (mouse, person) is what `--plural` is for.
 */

/** `widget` → `widgets`, `policy` → `policies`, `box` → `boxes`, `shelf` → `shelves`; input is the lowercased kind. */
export function pluralOf(singular: string): string {
  if (/(s|x|z|ch|sh)$/.test(singular)) return `${singular}es`;
  if (/[^aeiou]y$/.test(singular)) return `${singular.slice(0, -1)}ies`;
  // shelf, self, wolf, half; leaf, sheaf, loaf; knife, life, wife. Not cliff, roof, chief, safe, motif.
  if (/(lf|eaf|oaf)$/.test(singular)) return `${singular.slice(0, -1)}ves`;
  if (/ife$/.test(singular)) return `${singular.slice(0, -2)}ves`;
  return `${singular}s`;
}

/**
 * The plural for prose (READMEs, comments, test names): the kind's own
 * capitals over the part the plural shares with the singular, then the
 * plural's ending. `StockItem`/`stockitems` → `StockItems`, `Shelf`/`shelves`
 * → `Shelves`, `Person` with `--plural people` → `People`.
 */
export function kindPluralOf(kind: string, plural: string): string {
  const singular = kind.toLowerCase();
  let shared = 0;
  while (shared < singular.length && shared < plural.length && singular[shared] === plural[shared]) shared++;
  const head = kind.slice(0, shared);
  const tail = plural.slice(shared);
  // A plural that shares nothing with the kind (`--plural kine` for Cow) still reads as a name.
  return head === '' ? tail[0]!.toUpperCase() + tail.slice(1) : head + tail;
}

/** Kubernetes' DNS-1035 label, which `spec.names.plural` and `singular` of a CRD must be. */
export const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_1035_MAX = 63;

export function isDns1035Label(text: string): boolean {
  return text.length <= DNS_1035_MAX && DNS_1035_LABEL.test(text);
}
