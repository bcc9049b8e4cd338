/** The component targets of the repository's multi-target Dockerfile, read once for the suites. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export interface ImageTarget {
  /** The stage name, `docker build --target <target>`. */
  target: string;
  /** The image name its org.opencontainers.image.title label gives, e.g. cnpaas-webhooks. */
  image: string;
  /** Its ENTRYPOINT, exec form. */
  entrypoint: string[];
}

/** Every stage built FROM app: the deployable components. */
export function imageTargets(): ImageTarget[] {
  const text = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
  const targets: ImageTarget[] = [];
  for (const stage of text.split(/^FROM /m)) {
    const head = /^app AS ([a-z-]+)\nLABEL org\.opencontainers\.image\.title=([a-z-]+)/.exec(stage);
    if (!head) continue;
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(stage);
    if (!entrypoint) throw new Error(`Dockerfile stage ${head[1]} has no ENTRYPOINT`);
    targets.push({ target: head[1]!, image: head[2]!, entrypoint: JSON.parse(entrypoint[1]!) as string[] });
  }
  return targets;
}
