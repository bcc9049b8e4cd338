import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLIENT = fileURLToPath(new URL('../client/src/', import.meta.url));
const sources = readdirSync(CLIENT)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: f, text: readFileSync(`${CLIENT}${f}`, 'utf8') }));

describe('the browser code', () => {
  it('never turns text into markup (innerHTML, outerHTML, insertAdjacentHTML, document.write)', () => {
    expect(sources.length).toBeGreaterThan(3);
    const found = sources.filter((s) => /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write)\b/.test(s.text));
    expect(found.map((s) => s.file)).toEqual([]);
  });

  it('puts mail HTML only into an iframe whose sandbox allows nothing', () => {
    const users = sources.filter((s) => s.text.includes('srcdoc'));
    expect(users.map((s) => s.file)).toEqual(['inbox-view.ts']);
    const inbox = users[0]!.text;
    expect(inbox).toMatch(/el\('iframe', \{[^}]*attrs: \{ sandbox: '',/);
    // Nothing widens it later: no other sandbox value, no sandbox property or attribute written.
    expect(inbox).not.toMatch(/sandbox: '[^']|\.sandbox\b|setAttribute\('sandbox'/);
  });
});
