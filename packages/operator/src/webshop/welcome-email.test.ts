/**
 * HTML or text is decided once, from the template, and carried in the
 * Email's spec.format; values are HTML-escaped exactly when it says html.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { registrationTemplate } from './test-support.js';
import type { EmailTemplate, UserSpec } from './types.js';
import { bodyFormat, welcomeEmail } from './welcome-email.js';

const SCRIPT = '<script>alert(1)</script>';
const LINK = '<a href="https://evil.example/?a=1&b=2">click</a>';

function render(body: string, firstName: string, format?: 'text' | 'html') {
  const template = registrationTemplate(body) as EmailTemplate;
  if (format) template.spec!.format = format;
  const user: KubernetesObject & { spec: UserSpec } = {
    apiVersion: 'webshop.cnpaas.dev/v1',
    kind: 'User',
    metadata: { name: 't-1', namespace: 't-1', uid: 'u-1' },
    spec: { firstName, lastName: 'Lee', email: 'ann@example.com' },
  };
  const email = welcomeEmail({
    template,
    user,
    tenant: { companyName: 'Lee & Co', country: 'DE', city: 'Berlin', address: 'x', postalCode: '1' },
    emailName: 't-1-welcome',
    registrationUid: 'r',
  });
  return email.spec!;
}

describe('welcome Email format', () => {
  it('a text template whose first placeholder is markup stays text, the value verbatim', () => {
    // The body starts with '<' once rendered: a sender that sniffed the body would send this as HTML.
    for (const name of [SCRIPT, LINK]) {
      const spec = render('{{ .spec.firstName }}, welcome to {{ .tenant.companyName }}!', name);
      expect(spec.format).toBe('text');
      expect(spec.body).toBe(`${name}, welcome to Lee & Co!`);
    }
  });

  it('an HTML template escapes every value', () => {
    const spec = render('<p>Hello {{ .spec.firstName }} of {{ .tenant.companyName }}</p>', SCRIPT);
    expect(spec.format).toBe('html');
    expect(spec.body).toBe('<p>Hello &lt;script&gt;alert(1)&lt;/script&gt; of Lee &amp; Co</p>');
    expect(render('<p>{{ .spec.firstName }}</p>', LINK).body).toBe(
      '<p>&lt;a href=&quot;https://evil.example/?a=1&amp;b=2&quot;&gt;click&lt;/a&gt;</p>',
    );
  });

  it('{{ .verificationUrl }} stays a placeholder in text and HTML, for the email function to fill in at send time', () => {
    expect(render('Confirm: {{ .verificationUrl }}', 'Ann').body).toBe('Confirm: {{ .verificationUrl }}');
    expect(render('<a href="{{ .verificationUrl }}">confirm</a>', 'Ann').body).toBe(
      '<a href="{{ .verificationUrl }}">confirm</a>',
    );
  });

  it('an explicit spec.format wins over the first character, both ways', () => {
    const html = render('Hello {{ .spec.firstName }}<br>', SCRIPT, 'html');
    expect(html).toMatchObject({ format: 'html', body: 'Hello &lt;script&gt;alert(1)&lt;/script&gt;<br>' });
    const text = render('<not html> {{ .spec.firstName }}', SCRIPT, 'text');
    expect(text).toMatchObject({ format: 'text', body: `<not html> ${SCRIPT}` });
    expect(bodyFormat({ body: '  <p>x</p>' })).toBe('html');
    expect(bodyFormat({ body: 'x <p>' })).toBe('text');
  });

  it('the subject is never HTML-escaped', () => {
    expect(render('<p>{{ .spec.firstName }}</p>', 'A&B').subject).toBe('Welcome, A&B');
  });
});
