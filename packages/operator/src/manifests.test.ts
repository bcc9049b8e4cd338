/**
 * The manifests as files: they parse, name the right things, and every
 * schema property has a description (so `kubectl explain` works). Whether
 * kube-apiserver accepts them (structural schema, CEL cost, selectableFields)
 * needs a live apiserver: that is the integration suite's job.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { undescribedProperties } from '@cnpaas/kube/testing';
import { describe, expect, it } from 'vitest';
import { allManifests, crdManifests, manifestPath, MANIFEST_FILES } from './manifests.js';
import { MANAGED_BY_LABEL, OPERATOR_NAME, TENANT_LABEL } from './webshop/names.js';
import { OPERATOR_TENANT_ROLE } from './webshop/operator-access.js';

type Doc = Record<string, any>;

function load(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => {
    expect(d.errors, path).toEqual([]);
    return d.toJS() as Doc;
  });
}

const crds = new Map(crdManifests().map((p) => [load(p)[0]!['spec']['names']['kind'] as string, load(p)[0]!]));
const schemaOf = (kind: string): Doc => crds.get(kind)!['spec']['versions'][0]['schema']['openAPIV3Schema'];

describe('CRDs', () => {
  const expected: Array<[kind: string, plural: string, scope: string, selectable: string[], status: boolean]> = [
    ['RegistrationRequest', 'registrationrequests', 'Cluster', ['.spec.user.email'], true],
    ['Tenant', 'tenants', 'Cluster', ['.spec.companyName', '.spec.country', '.spec.city', '.spec.taxNumber'], true],
    ['User', 'users', 'Namespaced', ['.spec.firstName', '.spec.lastName', '.spec.email'], true],
    ['Email', 'emails', 'Namespaced', ['.spec.toAddress'], true],
    ['EmailTemplate', 'emailtemplates', 'Namespaced', ['.spec.displayName'], true],
  ];

  it.each(expected)(
    '%s: name, group, scope, v1, selectableFields, status subresource',
    (kind, plural, scope, selectable, status) => {
      const crd = crds.get(kind)!;
      expect(crd['metadata']['name']).toBe(`${plural}.webshop.cnpaas.dev`);
      expect(crd['spec']['group']).toBe('webshop.cnpaas.dev');
      expect(crd['spec']['scope']).toBe(scope);
      expect(crd['spec']['names']['plural']).toBe(plural);
      expect(crd['spec']['versions'].map((v: Doc) => [v['name'], v['served'], v['storage']])).toEqual([
        ['v1', true, true],
      ]);
      const version = crd['spec']['versions'][0];
      expect(version['selectableFields'].map((f: Doc) => f['jsonPath'])).toEqual(selectable);
      expect(version['subresources']?.['status'] !== undefined).toBe(status);
      // Every printer column and selectable field points at a declared property.
      for (const jsonPath of [
        ...selectable,
        ...version['additionalPrinterColumns'].map((c: Doc) => c['jsonPath'] as string),
      ]) {
        if (jsonPath.startsWith('.metadata')) continue;
        const segments = jsonPath
          .replace(/\[\?.*$/, '')
          .split('.')
          .slice(1);
        let node: Doc | undefined = schemaOf(kind);
        for (const s of segments) node = node?.['properties']?.[s] ?? node?.['items']?.['properties']?.[s];
        expect(node, `${kind} ${jsonPath}`).toBeDefined();
      }
    },
  );

  it.each(expected.map((e) => e[0]))('%s: every schema property has a description', (kind) => {
    expect(undescribedProperties(schemaOf(kind), kind)).toEqual([]);
  });

  it('has the printer columns people look at', () => {
    const columns = (kind: string) =>
      crds.get(kind)!['spec']['versions'][0]['additionalPrinterColumns'].map((c: Doc) => c['name']);
    expect(columns('User')).toEqual(['FirstName', 'LastName', 'Email', 'Phase', 'Ready', 'Reason', 'Age']);
    expect(columns('Email')).toEqual(['Email', 'Status', 'Sent', 'Error', 'Age']);
    expect(columns('Tenant')).toContain('Company');
    expect(columns('EmailTemplate')).toEqual(['DisplayName', 'Subject', 'Valid', 'Age']);
    expect(columns('RegistrationRequest')).toEqual(expect.arrayContaining(['Email', 'Tenant', 'Ready']));
  });

  it('RegistrationRequest.spec.password accepts only a hash prefix, by CEL, with a clear message', () => {
    const password = schemaOf('RegistrationRequest')['properties']['spec']['properties']['password'];
    expect(password['x-kubernetes-validations']).toEqual([
      expect.objectContaining({
        rule: "self.startsWith('$argon2id$') || self.startsWith('$scrypt$')",
        message: expect.stringContaining('never a plain password'),
      }),
    ]);
  });

  it('RR status carries tenant, namespace, user, email; User status carries passwordRef; all the operator writes carry conditions + observedGeneration', () => {
    expect(Object.keys(schemaOf('RegistrationRequest')['properties']['status']['properties'])).toEqual(
      expect.arrayContaining(['tenant', 'namespace', 'user', 'email', 'conditions', 'observedGeneration']),
    );
    expect(schemaOf('User')['properties']['status']['properties']['passwordRef']['properties']['name']['type']).toBe(
      'string',
    );
    for (const kind of ['RegistrationRequest', 'Tenant', 'User', 'EmailTemplate']) {
      expect(schemaOf(kind)['properties']['status']['properties']['observedGeneration']['type'], kind).toBe('integer');
      const conditions = schemaOf(kind)['properties']['status']['properties']['conditions'];
      expect(conditions['x-kubernetes-list-map-keys'], kind).toEqual(['type']);
      expect(conditions['items']['required'], kind).toEqual([
        'type',
        'status',
        'lastTransitionTime',
        'reason',
        'message',
      ]);
    }
  });

  it('Email status declares every field the email function writes (packages/functions EMAIL_STATUS_SCHEMA)', () => {
    // Mirrors EMAIL_STATUS_SCHEMA: a structural schema prunes undeclared status fields, which would drop the function's claim.
    const written = [
      'observedGeneration',
      'conditions',
      'sentTimestamp',
      'errorMessage',
      'errorTimestamp',
      'errorPermanent',
      'claimedBy',
      'claimedTimestamp',
      'messageId',
    ];
    const status = schemaOf('Email')['properties']['status']['properties'];
    expect(Object.keys(status).sort()).toEqual([...written].sort());
    expect(status['observedGeneration']).toMatchObject({ type: 'integer', format: 'int64', minimum: 0 });
    // The same metav1.Condition schema as the operator's own CRDs, descriptions aside.
    const shape = (conditions: Doc): string =>
      JSON.stringify(conditions, (k, v) => (k === 'description' ? undefined : v));
    expect(shape(status['conditions'])).toBe(
      shape(schemaOf('User')['properties']['status']['properties']['conditions']),
    );
    expect(status['conditions']['items']['properties']['status']['enum']).toEqual(['True', 'False', 'Unknown']);
  });

  it('User and RR share the reference patterns (person names, emails)', () => {
    const user = schemaOf('User')['properties']['spec']['properties'];
    const rrUser = schemaOf('RegistrationRequest')['properties']['spec']['properties']['user']['properties'];
    expect(rrUser).toEqual(user);
    expect(new RegExp(user['email']['pattern']).test('ann@example.com')).toBe(true);
    expect(new RegExp(user['firstName']['pattern'], 'u').test("Zoë-Ann O'Neil")).toBe(true);
  });
});

describe('other manifests', () => {
  it('lists every file in apply order: namespace, CRDs, RBAC, confinement policy, template', () => {
    const files = allManifests().map((p) => p.slice(p.indexOf('/manifests/') + '/manifests/'.length));
    expect(files).toEqual([
      'namespace.yaml',
      ...MANIFEST_FILES.crds,
      'rbac.yaml',
      'confinement-policy.yaml',
      'email-template-registration.yaml',
    ]);
  });

  it('RBAC binds the client-certificate user cnpaas-operator, never escalate, bind on one ClusterRole only, Lease and claims only in cnpaas-system', () => {
    const docs = load(manifestPath(MANIFEST_FILES.rbac));
    const bindings = docs.filter((d) => d['kind'].endsWith('Binding'));
    expect(bindings).toHaveLength(2);
    for (const b of bindings)
      expect(b['subjects']).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: OPERATOR_NAME }]);
    const rules: Doc[] = docs.flatMap((d) => d['rules'] ?? []);
    const allVerbs = rules.flatMap((r) => r['verbs'] as string[]);
    expect(allVerbs).not.toContain('escalate');
    expect(allVerbs).not.toContain('*');
    // bind only on the per-namespace ClusterRole the tenant controller binds to the operator itself.
    expect(rules.filter((r) => r['verbs'].includes('bind'))).toEqual([
      {
        apiGroups: ['rbac.authorization.k8s.io'],
        resources: ['clusterroles'],
        resourceNames: [OPERATOR_TENANT_ROLE],
        verbs: ['bind'],
      },
    ]);
    const clusterRole = docs.find((d) => d['kind'] === 'ClusterRole')!;
    const clusterResources = clusterRole['rules'].flatMap((r: Doc) => r['resources'] as string[]);
    // No cluster-wide reach into Secrets, ServiceAccounts or Roles: those come from the per-namespace role.
    for (const r of ['secrets', 'serviceaccounts', 'roles']) expect(clusterResources).not.toContain(r);
    expect(clusterRole['metadata']['name']).toBe(OPERATOR_NAME);
    const tenantRole = docs.find((d) => d['kind'] === 'ClusterRole' && d['metadata']['name'] === OPERATOR_TENANT_ROLE)!;
    expect(tenantRole['rules'].flatMap((r: Doc) => r['resources'])).toEqual(
      expect.arrayContaining(['secrets', 'serviceaccounts', 'roles', 'rolebindings']),
    );
    // ...and it is never bound cluster-wide.
    expect(bindings.map((b) => b['roleRef']['name'])).not.toContain(OPERATOR_TENANT_ROLE);
    for (const r of tenantRole['rules'] as Doc[]) expect(r['verbs']).not.toEqual(expect.arrayContaining(['list']));
    expect(clusterResources).not.toContain('leases');
    expect(clusterResources).not.toContain('configmaps');
    // Escalation prevention: the operator holds what the Roles it creates grant.
    const users = clusterRole['rules'].find((r: Doc) => r['resources'].includes('users'))!;
    expect(users['verbs']).toEqual(expect.arrayContaining(['get', 'update', 'patch']));
    const role = docs.find((d) => d['kind'] === 'Role')!;
    expect(role['metadata']['namespace']).toBe('cnpaas-system');
    expect(role['rules'].flatMap((r: Doc) => r['resources'])).toEqual(expect.arrayContaining(['leases', 'configmaps']));
    // Templates are checked wherever they live: read cluster-wide, and only their status written.
    expect(clusterRole['rules']).toEqual(
      expect.arrayContaining([
        { apiGroups: ['webshop.cnpaas.dev'], resources: ['emailtemplates'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['webshop.cnpaas.dev'], resources: ['emailtemplates/status'], verbs: ['patch'] },
      ]),
    );
  });

  it("the confinement policy matches the operator's identity alone, on every kind that hands out access or holds a secret, and denies", () => {
    const [policy, binding] = load(manifestPath(MANIFEST_FILES.confinement));
    expect(policy!['kind']).toBe('ValidatingAdmissionPolicy');
    expect(policy!['apiVersion']).toBe('admissionregistration.k8s.io/v1');
    expect(policy!['spec']['failurePolicy']).toBe('Fail');
    // The one place the user name is written: the same CN the platform issues and rbac.yaml binds.
    expect(policy!['spec']['matchConditions']).toEqual([
      { name: 'is-cnpaas-operator', expression: `request.userInfo.username == '${OPERATOR_NAME}'` },
    ]);
    const matched = (policy!['spec']['matchConstraints']['resourceRules'] as Doc[]).flatMap((r) => {
      expect(r['operations']).toEqual(['CREATE', 'UPDATE', 'DELETE']);
      return (r['resources'] as string[]).map((res) => `${res}.${r['apiGroups'][0]}`);
    });
    expect(matched.sort()).toEqual([
      'clusterrolebindings.rbac.authorization.k8s.io',
      'clusterroles.rbac.authorization.k8s.io',
      'namespaces.',
      'rolebindings.rbac.authorization.k8s.io',
      'roles.rbac.authorization.k8s.io',
      'secrets.',
      'serviceaccounts.',
    ]);
    // The label the policy requires is the one every child of the operator carries.
    const text = readFileSync(manifestPath(MANIFEST_FILES.confinement), 'utf8');
    expect(text).toContain(`labels['${MANAGED_BY_LABEL}'] == '${OPERATOR_NAME}'`);
    expect(text).toContain(`labels['${TENANT_LABEL}']`);
    expect(text).toContain(`object.roleRef.name == '${OPERATOR_TENANT_ROLE}'`);
    expect(binding).toMatchObject({
      kind: 'ValidatingAdmissionPolicyBinding',
      spec: { policyName: policy!['metadata']['name'], validationActions: ['Deny'] },
    });
  });

  it("the default EmailTemplate is registration in cnpaas-system, and renders with the operator's data", async () => {
    const [template] = load(manifestPath(MANIFEST_FILES.emailTemplate));
    expect(template!['metadata']).toMatchObject({ name: 'registration', namespace: 'cnpaas-system' });
    const { welcomeEmail } = await import('./webshop/welcome-email.js');
    const email = welcomeEmail({
      template: template as never,
      user: {
        apiVersion: 'webshop.cnpaas.dev/v1',
        kind: 'User',
        metadata: { name: 't-1', namespace: 't-1', uid: 'u' },
        spec: { firstName: 'Ann', lastName: 'Lee', email: 'ann@example.com' },
      },
      tenant: { companyName: 'Lee & Co', country: 'DE', city: 'Berlin', address: 'x', postalCode: '1' },
      emailName: 't-1-welcome',
      registrationUid: 'r',
    });
    expect(email.spec?.subject).toBe('Welcome to the webshop, Ann');
    expect(email.spec?.body).toContain('Hello Ann Lee,');
    expect(email.spec?.body).toContain('Lee & Co');
  });

  it('the Namespace manifest is cnpaas-system', () => {
    expect(load(manifestPath(MANIFEST_FILES.namespace))).toEqual([
      expect.objectContaining({ kind: 'Namespace', metadata: expect.objectContaining({ name: 'cnpaas-system' }) }),
    ]);
  });
});
