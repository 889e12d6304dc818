// The `graphql-http` package's server audit (GraphQL over HTTP conformance) against a
// running server: prints how many MUST, SHOULD and MAY audits passed and why each other one
// did not, and exits 1 when a MUST failed.
//
// Usage: node graphql-http-audit.mjs http://127.0.0.1:8000/graphql

import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node graphql-http-audit.mjs <url of the GraphQL endpoint>');
  process.exit(2);
}

const results = await Promise.all(serverAudits({ url }).map((audit) => audit.fn()));

for (const level of ['MUST', 'SHOULD', 'MAY']) {
  const ofLevel = results.filter((result) => result.name.startsWith(level));
  const passed = ofLevel.filter((result) => result.status === 'ok');
  console.log(`${level}: ${passed.length}/${ofLevel.length} passed`);
}
for (const result of results.filter((result) => result.status !== 'ok')) {
  const reason = typeof result.reason === 'string' ? result.reason : JSON.stringify(result.reason);
  console.log(`${result.status} ${result.id} ${result.name}: ${reason}`);
}
process.exitCode = results.some((result) => result.status === 'error') ? 1 : 0;
