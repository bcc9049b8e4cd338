import { readFileSync } from 'node:fs';
import { manifestPath } from '@cnpaas/webshop-api';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { EMAIL_STATUS_SCHEMA, checkEmailObject } from './email-resource.js';

type Doc = Record<string, any>;

const withoutDescriptions = (schema: unknown): unknown =>
  JSON.parse(JSON.stringify(schema, (k, v) => (k === 'description' ? undefined : v)));

describe('EMAIL_STATUS_SCHEMA', () => {
  // A field the CRD lacks is pruned on write: the claim, or the Sent condition, would silently vanish.
  it("is what the operator's Email CRD declares for status, descriptions aside", () => {
    const crd = parse(readFileSync(manifestPath('crds/emails.yaml'), 'utf8')) as Doc;
    const status = crd['spec']['versions'][0]['schema']['openAPIV3Schema']['properties']['status'];
    expect(withoutDescriptions(status)).toEqual(withoutDescriptions(EMAIL_STATUS_SCHEMA));
  });
});

describe('checkEmailObject: spec.format', () => {
  it('takes text, html or nothing, and names anything else', () => {
    const email = (format?: unknown) => ({
      kind: 'Email',
      metadata: { name: 'a', namespace: 'n', uid: 'u-1' },
      spec: {
        toAddress: 'ada@example.com',
        fromName: 'Shop',
        fromAddress: 'shop@example.com',
        subject: 'Hi',
        body: '<b>x</b>',
        ...(format === undefined ? {} : { format }),
      },
    });
    for (const format of [undefined, 'text', 'html'])
      expect(checkEmailObject(email(format)).ok, String(format)).toBe(true);
    expect(checkEmailObject(email('markdown'))).toEqual({ ok: false, problems: ['spec.format: must be text or html'] });
  });
});
