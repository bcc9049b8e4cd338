/**
 * The shirts example (examples/shirts/: the Kubernetes docs' shirts CRD, with
 * selectableFields) and the workshop topology that routes it to shirts.db
 * (examples/topologies/workshop.yaml). The tests read the same files a person
 * applies in docs/workshop.md, so the example and the tests cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const EXAMPLES = fileURLToPath(new URL('../../../../examples/', import.meta.url));

export const SHIRTS_CRD_FILE = `${EXAMPLES}shirts/crd.yaml`;
export const SHIRTS_FILE = `${EXAMPLES}shirts/shirts.yaml`;
export const SHIRTS_CRD = readFileSync(SHIRTS_CRD_FILE, 'utf8');

/** The demo topology with one more backend appended: shirts in shirts.db. */
export const SHIRTS_TOPOLOGY = `${EXAMPLES}topologies/workshop.yaml`;
