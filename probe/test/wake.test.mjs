// The wake ping against a real HTTP server on 127.0.0.1 (node:http), through Node's own fetch.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';

import { createProbe } from '../dist/probe.js';
import { pingCollector, wakeUrl } from '../dist/wake.js';
import { clock, lineSink, taskManager } from '../fixtures/stubs.mjs';

/** A collector: records each request; `answer(req, res, body)` decides the reply (default 204). */
async function collector(t, answer = (_req, res) => { res.statusCode = 204; res.end(); }) {
  const requests = [];
  let onClose = () => {};
  const closed = new Promise((resolve) => { onClose = resolve; });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body) });
      answer(req, res, body);
    });
    req.socket.on('close', () => onClose(req.url));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }));
  return { url: `http://127.0.0.1:${server.address().port}/`, requests, closed };
}

const config = (url, extra = {}) => ({ url, token: 's3cret', device: 'iphone-15', timeoutMs: 2000, ...extra });

test('wakeUrl appends /wake once', () => {
  assert.equal(wakeUrl('http://h:1'), 'http://h:1/wake');
  assert.equal(wakeUrl('http://h:1//'), 'http://h:1/wake');
  assert.equal(wakeUrl('http://h:1/base/'), 'http://h:1/base/wake');
});

test('a ping is POST /wake with the bearer token and the JSON body', async (t) => {
  const c = await collector(t);
  assert.equal(await pingCollector(config(c.url), 'push', 'sync-orders', 1764316502311.6, fetch), true);
  assert.equal(c.requests.length, 1);
  const [r] = c.requests;
  assert.equal(r.method, 'POST');
  assert.equal(r.url, '/wake');
  assert.equal(r.headers.authorization, 'Bearer s3cret');
  assert.equal(r.headers['content-type'], 'application/json');
  assert.deepEqual(r.body, { device: 'iphone-15', reason: 'push', task: 'sync-orders', time_ms: 1764316502312 });
});

test('a wake without a task sends task null', async (t) => {
  const c = await collector(t);
  await pingCollector(config(c.url), 'boot', null, 1, fetch);
  assert.equal(c.requests[0].body.task, null);
});

test('a refusal resolves false', async (t) => {
  const c = await collector(t, (_req, res) => { res.statusCode = 401; res.end('{"error":"bad token"}'); });
  assert.equal(await pingCollector(config(c.url), 'push', null, 1, fetch), false);
});

test('an unreachable collector resolves false', async () => {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dead = server.address().port; // nobody listens there once it is closed
  await new Promise((resolve) => server.close(resolve));
  assert.equal(await pingCollector(config(`http://127.0.0.1:${dead}`), 'push', null, 1, fetch), false);
});

test('a collector that never answers: the ping gives up at its timeout and aborts the request', { timeout: 5000 }, async (t) => {
  const c = await collector(t, () => { /* never answer */ });
  assert.equal(await pingCollector(config(c.url, { timeoutMs: 50 }), 'push', null, 1, fetch), false);
  assert.equal(await c.closed, '/wake', 'the aborted fetch closed its connection');
});

test('a fetch that ignores its signal still cannot hold the caller past the timeout', async () => {
  const stuck = () => new Promise(() => {});
  assert.equal(await pingCollector(config('http://unused', { timeoutMs: 20 }), 'push', null, 1, stuck), false);
});

test('a fetch that throws synchronously resolves false', async () => {
  const broken = () => { throw new TypeError('Network request failed'); };
  assert.equal(await pingCollector(config('http://unused'), 'push', null, 1, broken), false);
});

test('the probe pings on task start with reason=trigger, and on recordWake', async (t) => {
  const c = await collector(t);
  const tm = taskManager();
  const time = clock();
  const probe = createProbe({ taskManager: tm, platform: 'ios', log: () => {}, now: time.now, collector: config(c.url), fetch });
  probe.defineProbedTask('sync-orders', () => 1);
  await tm.fire('sync-orders');
  await probe.recordWake('push');
  assert.deepEqual(c.requests.map((r) => r.body), [
    { device: 'iphone-15', reason: 'bgtask', task: 'sync-orders', time_ms: 1764316502311 },
    { device: 'iphone-15', reason: 'push', task: null, time_ms: 1764316502311 },
  ]);
});

test('pingOnTaskStart: false keeps task runs quiet', async (t) => {
  const c = await collector(t);
  const tm = taskManager();
  const probe = createProbe({ taskManager: tm, platform: 'ios', log: () => {}, collector: config(c.url), fetch, pingOnTaskStart: false });
  probe.defineProbedTask('t', () => 1);
  await tm.fire('t');
  assert.equal(c.requests.length, 0);
});

test('a silent collector never fails the task or changes its result', async (t) => {
  const c = await collector(t, () => { /* never answer */ });
  const tm = taskManager();
  const sink = lineSink();
  const probe = createProbe({ taskManager: tm, platform: 'android', log: sink.log, collector: config(c.url, { timeoutMs: 30 }), fetch });
  probe.defineProbedTask('t', () => 2);
  assert.equal(await tm.fire('t'), 2);
  assert.equal(tm.failures.length, 0);
  assert.match(sink.lines[1], /^BgProbe v1 task_end task=t run=1 result=failed /);
});
