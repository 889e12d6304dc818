// Drives headless Chromium through GraphiQL against a running rosterql, with no internet:
// the page loads from the server's embedded assets on its starter document, runs a query,
// runs a mutation with an admin token typed into the Headers editor, and shows a
// subscription's event arriving. Saves a screenshot. Run by tests/api/http/browser.rs with
// ROSTERQL_HTTP, ROSTERQL_ADMIN_TOKEN and ROSTERQL_SCREENSHOT (and CHROMIUM, the browser's
// path; default /usr/bin/chromium).
import { chromium } from 'playwright-core';

const base = process.env.ROSTERQL_HTTP;
const token = process.env.ROSTERQL_ADMIN_TOKEN;
const screenshot = process.env.ROSTERQL_SCREENSHOT;
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const WAIT = 15000;

const fail = (message) => {
  console.error(`failed: ${message}`);
  process.exit(1);
};

const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const elsewhere = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(base) && !url.startsWith('data:')) elsewhere.push(url);
  });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));

  // CodeMirror keeps its editor on its wrapper element.
  const editor = (within) => `${within} .CodeMirror`;
  const QUERY = editor('.graphiql-query-editor');
  const RESPONSE = editor('.graphiql-response');
  const value = (selector) =>
    page.evaluate((selector) => document.querySelector(selector)?.CodeMirror?.getValue(), selector);
  const set = (selector, text) =>
    page.evaluate(([selector, text]) => document.querySelector(selector).CodeMirror.setValue(text), [
      selector,
      text,
    ]);
  const responseShows = async (text) => {
    try {
      await page.waitForFunction(
        ([selector, text]) => document.querySelector(selector)?.CodeMirror?.getValue().includes(text),
        [RESPONSE, text],
        { timeout: WAIT },
      );
    } catch {
      await page.screenshot({ path: screenshot, fullPage: true });
      fail(`the response never showed ${text}: it shows ${await value(RESPONSE)} (see ${screenshot})`);
    }
  };
  // GraphiQL takes an edit into its state a moment later (a debounce); the run button runs
  // what its state holds.
  const settle = () => page.waitForTimeout(700);
  const run = async (document, expected) => {
    await set(QUERY, document);
    await settle();
    await page.click('.graphiql-execute-button');
    await responseShows(expected);
  };

  // GraphiQL is ready once it has the schema: it asks for it as it loads.
  const isIntrospection = (response) =>
    response.url().startsWith(`${base}/graphql`) &&
    (response.request().postData() ?? '').includes('__schema');
  await Promise.all([
    page.waitForResponse(isIntrospection, { timeout: WAIT }),
    page.goto(`${base}/`),
  ]);
  await page.waitForSelector(QUERY, { timeout: WAIT });
  const starter = await value(QUERY);
  if (!starter?.includes('query Organizations') || !starter.includes('subscription')) {
    fail(`the page did not open on the starter document: ${starter}`);
  }
  console.log('ok: the page opens on the starter document');

  await run('{ organizations(first: 5) { totalCount nodes { slug } } }', '"totalCount"');
  console.log('ok: a query runs');

  await page.getByRole('button', { name: 'Headers' }).click();
  const HEADERS = editor('.graphiql-editor-tool .graphiql-editor:not(.hidden)');
  await page.waitForSelector(HEADERS, { timeout: WAIT });
  await set(HEADERS, JSON.stringify({ Authorization: `Bearer ${token}` }));
  await settle();
  await run(
    `mutation { createOrganization(input: { slug: "browser-${Date.now()}", name: "Browser" }) { organizationId version } }`,
    '"organizationId"',
  );
  console.log('ok: a mutation runs with the token in the Headers editor');

  await set(QUERY, 'subscription { organizationChanged { event organization { slug } } }');
  await settle();
  await page.click('.graphiql-execute-button');
  // Changes made while it subscribes may come before it listens: keep making them.
  const made = setInterval(() => {
    const slug = `live-${Date.now()}`;
    fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { createOrganization(input: { slug: "${slug}", name: "Live" }) { version } }`,
      }),
    }).catch((error) => console.error(`a change could not be made: ${error}`));
  }, 300);
  try {
    await responseShows('"OrganizationCreated"');
  } finally {
    clearInterval(made);
  }
  console.log('ok: a subscription event arrives');

  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`ok: screenshot at ${screenshot}`);
  if (elsewhere.length > 0) fail(`the page reached beyond the server: ${elsewhere.join(', ')}`);
  console.log('ok: nothing was loaded from anywhere but the server');
} finally {
  await browser.close();
}
