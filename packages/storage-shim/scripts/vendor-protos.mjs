#!/usr/bin/env node
// Regenerates proto/ from etcd's Go module: strips comments and the gogoproto,
// grpc-gateway, openapi and versionpb annotations that @grpc/proto-loader
// cannot resolve offline. Wire format is untouched.
//
//   go mod download -json go.etcd.io/etcd/api/v3@v3.6.4   # prints "Dir"
//   node scripts/vendor-protos.mjs <Dir>
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = process.argv[2];
if (!src) {
  console.error('usage: vendor-protos.mjs <dir of go.etcd.io/etcd/api/v3@version>');
  process.exit(2);
}
const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto', 'etcd', 'api');
const files = ['etcdserverpb/rpc.proto', 'mvccpb/kv.proto', 'authpb/auth.proto'];
const dropImport = /^import "(gogoproto|google|protoc-gen-openapiv2|etcd\/api\/versionpb)\/.*";\s*$/;

function stripOptionBlocks(text) {
  // `option (x) = { ... };` may nest braces, so match them by hand.
  let result = '';
  let i = 0;
  const re = /option\s*\([^)]*\)\s*=\s*/g;
  for (let m; (m = re.exec(text));) {
    result += text.slice(i, m.index);
    let j = m.index + m[0].length;
    if (text[j] === '{') {
      let depth = 0;
      do {
        if (text[j] === '{') depth++;
        if (text[j] === '}') depth--;
        j++;
      } while (depth > 0);
    } else {
      while (text[j] !== ';') j++;
    }
    while (text[j] !== ';') j++;
    i = j + 1;
    re.lastIndex = i;
  }
  return result + text.slice(i);
}

// Selector push-down: the fields HariKube's patched kube-apiserver sets on
// etcd's messages. The store reads them (src/selectors/); etcd ignores them.
const PUSHDOWN = {
  RangeRequest: ['string labelSelector = 14;', 'string fieldSelector = 15;'],
  WatchCreateRequest: ['string labelSelector = 9;', 'string fieldSelector = 10;'],
};

function addPushdownFields(text) {
  for (const [message, fields] of Object.entries(PUSHDOWN)) {
    const start = text.indexOf(`message ${message} {`);
    if (start < 0) throw new Error(`message ${message} not found`);
    // The message's closing brace: the first line that is exactly "}" after its start.
    const end = text.indexOf('\n}', start);
    const added = fields.map((f) => `\n  ${f}`).join('');
    text = `${text.slice(0, end)}\n\n  // cnpaas: selector push-down (not in etcd's rpc.proto).${added}${text.slice(end)}`;
  }
  return text;
}

for (const f of files) {
  let text = readFileSync(join(src, f), 'utf8');
  text = text.replace(/\/\/[^\n]*/g, '');
  text = text
    .split('\n')
    .filter((l) => !dropImport.test(l))
    .join('\n');
  text = stripOptionBlocks(text);
  text = text.replace(/\s*\[\([^\]]*\]/g, '');
  text = text.replace(/\{\s*\}/g, '{}').replace(/\n\s*\n(\s*\n)+/g, '\n\n');
  if (f === 'etcdserverpb/rpc.proto') text = addPushdownFields(text);
  mkdirSync(join(out, dirname(f)), { recursive: true });
  writeFileSync(
    join(out, f),
    `// Vendored from go.etcd.io/etcd/api/v3 (Apache-2.0) by scripts/vendor-protos.mjs.\n${text.trim()}\n`,
  );
  console.log(`wrote ${f}`);
}
