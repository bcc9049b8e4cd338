import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CRD_FILES,
  EMAIL_RESOURCE,
  EMAIL_TEMPLATE_RESOURCE,
  REGISTRATION_REQUEST_RESOURCE,
  TENANT_RESOURCE,
  USER_RESOURCE,
  WEBSHOP_GROUP,
  WEBSHOP_VERSION,
  manifestPath,
} from './index.js';

describe('manifests/crds/', () => {
  it('every webshop CRD is in one group and version, so WEBSHOP_GROUP can be read from any of them', () => {
    for (const r of [
      REGISTRATION_REQUEST_RESOURCE,
      TENANT_RESOURCE,
      USER_RESOURCE,
      EMAIL_RESOURCE,
      EMAIL_TEMPLATE_RESOURCE,
    ]) {
      expect(r.group).toBe(WEBSHOP_GROUP);
      expect(r.version).toBe(WEBSHOP_VERSION);
      expect(r.crdName).toBe(`${r.plural}.${WEBSHOP_GROUP}`);
    }
    expect(WEBSHOP_GROUP).toBe('webshop.cnpaas.dev');
  });

  it('CRD_FILES lists every file in manifests/crds/, each a CustomResourceDefinition', () => {
    const present = readdirSync(manifestPath('crds')).map((f) => `crds/${f}`);
    expect([...CRD_FILES].sort()).toEqual(present.sort());
    for (const file of CRD_FILES) {
      const crd = parse(readFileSync(manifestPath(file), 'utf8')) as {
        kind: string;
        spec: { names: { plural: string } };
      };
      expect(crd.kind).toBe('CustomResourceDefinition');
      expect(`crds/${crd.spec.names.plural}.yaml`).toBe(file);
    }
  });
});
