/**
 * Our spec table against the operator's RegistrationRequest CRD: the same
 * fields, required lists and lengths (the password excepted: plain here,
 * hashed there). Reads the sibling package's manifest file, so a change to
 * the CRD that we do not follow fails here.
 */
import { readFileSync } from 'node:fs';
import { manifestPath } from '@cnpaas/webshop-api';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REGISTRATION_SPEC_SCHEMA, REGISTRATION_STATUS_SCHEMA, type Schema } from './registration-schema.js';

const CRD = manifestPath('crds/registrationrequests.yaml');

interface CrdSchema {
  type: string;
  required?: string[];
  properties?: Record<string, CrdSchema>;
  minLength?: number;
  maxLength?: number;
}

function compare(ours: Schema, theirs: CrdSchema, path: string): void {
  expect(ours.type, path).toBe(theirs.type);
  if (ours.type === 'object') {
    expect(Object.keys(ours.properties).sort(), path).toEqual(Object.keys(theirs.properties ?? {}).sort());
    expect([...(ours.required ?? [])].sort(), path).toEqual([...(theirs.required ?? [])].sort());
    for (const [key, child] of Object.entries(ours.properties)) {
      if (`${path}.${key}` === 'spec.password') continue;
      compare(child, theirs.properties![key]!, `${path}.${key}`);
    }
    return;
  }
  expect({ min: ours.minLength, max: ours.maxLength }, path).toEqual({ min: theirs.minLength, max: theirs.maxLength });
}

describe('registration schema', () => {
  const crd = parse(readFileSync(CRD, 'utf8')) as {
    spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: Record<string, CrdSchema> } } }> };
  };
  const root = crd.spec.versions[0]!.schema.openAPIV3Schema.properties;

  it("matches the CRD's spec: fields, required, lengths", () => {
    compare(REGISTRATION_SPEC_SCHEMA, root['spec']!, 'spec');
  });

  it('answers with the four names the operator writes into status', () => {
    const crdStatus = Object.keys(root['status']!.properties!);
    for (const key of Object.keys(REGISTRATION_STATUS_SCHEMA.properties)) expect(crdStatus).toContain(key);
  });
});
