/** The Kubernetes docs' shirts CRD (with selectableFields) and a topology that routes it to shirts.db. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { demoTopology } from '../../src/control-plane.js';

export const SHIRTS_CRD = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: shirts.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names: { plural: shirts, singular: shirt, kind: Shirt }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                color: { type: string }
                size: { type: string }
      selectableFields:
        - jsonPath: .spec.color
        - jsonPath: .spec.size
      additionalPrinterColumns:
        - { jsonPath: .spec.color, name: Color, type: string }
        - { jsonPath: .spec.size, name: Size, type: string }
`;

export /** The demo topology with one more backend appended: shirts in shirts.db. */
function topologyWithShirts(dir: string): string {
  const docs = parseAllDocuments(readFileSync(demoTopology(), 'utf8')).map((d) => d.toJS());
  docs[0].spec.backends.push({
    name: 'shirts',
    endpoint: 'sqlite://shirts.db',
    customresource: { group: 'stable.example.com', kind: 'shirts' },
  });
  const file = path.join(dir, 'topology.yaml');
  writeFileSync(file, stringify(docs[0]));
  return file;
}
