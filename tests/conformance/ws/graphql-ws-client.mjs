// The graphql-ws library's client against a running rosterql, over graphql-transport-ws:
// subscribes, receives the change a mutation makes and completes; answers the server's
// pings and gets pongs for its own; runs a query to its completion; and is refused with
// 4403 for a bad token. Reads ROSTERQL_HTTP (http://host:port), ROSTERQL_WS (its
// /graphql/ws) and ROSTERQL_ADMIN_TOKEN; prints what it checked, exits 1 on a failure.

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const http = required('ROSTERQL_HTTP');
const url = required('ROSTERQL_WS');
const token = required('ROSTERQL_ADMIN_TOKEN');
const WAIT_MS = 15_000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok: ${message}`);
}

function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${WAIT_MS} ms`)), WAIT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function graphql(query, variables = {}) {
  const response = await fetch(`${http}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// The read side's position once it has applied everything committed so far.
async function settledPosition() {
  for (const deadline = Date.now() + WAIT_MS; Date.now() < deadline; ) {
    const { readModel } = await graphql('{ readModel { lagEvents position headPosition } }');
    if (readModel.lagEvents === 0 && readModel.position === readModel.headPosition) {
      return readModel.position;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the read side never caught up');
}

async function subscribeReceiveAndComplete() {
  let serverPings = 0;
  let pongs = 0;
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    keepAlive: 100,
    retryAttempts: 0,
    on: {
      ping: (received) => received && serverPings++,
      pong: (received) => received && pongs++,
    },
  });
  try {
    const { createOrganization } = await graphql(
      'mutation { createOrganization(input: { slug: "conformance", name: "Conformance" }) { organizationId } }',
    );
    const organizationId = createOrganization.organizationId;
    const after = await settledPosition();
    const changes = client.iterate({
      query: `subscription($organizationId: ID, $after: String) {
        userChanged(organizationId: $organizationId, after: $after) { kind event user { name email } }
      }`,
      variables: { organizationId, after },
    });
    const next = changes.next();
    await graphql(
      `mutation($org: ID!) { createUser(input: { organizationId: $org, email: "ada@example.com", name: "Ada" }) { userId } }`,
      { org: organizationId },
    );
    const { value } = await within(next, 'the change');
    check(value.data?.userChanged?.event === 'UserCreated', `the change arrives: ${JSON.stringify(value)}`);
    check(value.data.userChanged.user.email === 'ada@example.com', 'an admin socket reads the email');

    // While the socket is open (the client closes it once no operation runs).
    const deadline = Date.now() + WAIT_MS;
    while ((serverPings === 0 || pongs === 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    check(serverPings > 0, `the server pings (${serverPings} pings, each answered by the client)`);
    check(pongs > 0, `the server answers the client's pings (${pongs} pongs)`);
    const ended = await changes.return();
    check(ended.done, 'the subscription completes when the client leaves it');

    const results = [];
    for await (const result of client.iterate({ query: '{ __typename }' })) results.push(result);
    check(JSON.stringify(results) === '[{"data":{"__typename":"Query"}}]', 'a query over the socket completes after its result');
  } finally {
    await client.dispose();
  }
}

async function badTokenIsRefusedWith4403() {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: 'Bearer garbage' },
    retryAttempts: 0,
  });
  try {
    const refusal = await within(
      new Promise((resolve) => {
        client.subscribe({ query: '{ __typename }' }, {
          next: () => resolve(null),
          error: resolve,
          complete: () => resolve(null),
        });
      }),
      'the refusal',
    );
    check(refusal?.code === 4403, `a bad token is closed with 4403 (${refusal?.code} ${refusal?.reason})`);
    check(refusal.reason.startsWith('UNAUTHENTICATED'), 'the close reason starts with UNAUTHENTICATED');
  } finally {
    await client.dispose();
  }
}

try {
  await subscribeReceiveAndComplete();
  await badTokenIsRefusedWith4403();
} catch (error) {
  const described =
    error instanceof Error ? error.stack : `${error?.code ?? ''} ${error?.reason ?? ''} ${JSON.stringify(error)}`;
  console.error(`failed: ${described}`);
  process.exit(1);
}
