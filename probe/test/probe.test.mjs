import assert from 'node:assert/strict';
import { mock, test } from 'node:test';

import { createProbe, errorText, inferTrigger } from '../dist/probe.js';
import { backgroundFetchResult } from '../dist/results.js';
import { clock, documents, fileSystem, lineSink, ringOnDisk, taskManager } from '../fixtures/stubs.mjs';

// expo-background-task's BackgroundTaskResult and expo-background-fetch's BackgroundFetchResult.
const Success = 1;
const Failed = 2;
const NewData = 2;

function setup(extra = {}) {
  const { dir, cleanup } = documents();
  const tm = taskManager();
  const sink = lineSink();
  const time = clock();
  const probe = createProbe({
    taskManager: tm, fileSystem: fileSystem(dir), platform: 'android', log: sink.log, now: time.now, ...extra,
  });
  // The ring's writes are queued: let them land before the directory goes, or a late one warns (ENOENT)
  // into whichever test runs next.
  const tidy = async () => { await probe.flush().catch(() => undefined); cleanup(); };
  return { dir, cleanup: tidy, tm, sink, time, probe };
}

test('a run logs start and end, files both, and hands its result back to TaskManager', async () => {
  const { dir, cleanup, tm, sink, time, probe } = setup();
  try {
    probe.defineProbedTask('sync-orders', async () => {
      time.advance(840);
      return Success;
    });
    assert.equal(await tm.fire('sync-orders'), Success);
    assert.deepEqual(tm.finished, [{ taskName: 'sync-orders', eventId: 'event-1', result: Success }]);
    assert.deepEqual(sink.lines, [
      'BgProbe v1 task_start task=sync-orders run=1 trigger=workmanager',
      'BgProbe v1 task_end task=sync-orders run=1 result=success duration_ms=840',
    ]);
    assert.deepEqual(ringOnDisk(dir), [
      { event: 'task_start', task: 'sync-orders', run: 1, trigger: 'workmanager', time: 1764316502311 },
      { event: 'task_end', task: 'sync-orders', run: 1, result: 'success', duration_ms: 840, time: 1764316503151 },
    ]);
  } finally {
    await cleanup();
  }
});

test('a failed result is result=failed, and the value still reaches TaskManager', async () => {
  const { cleanup, tm, sink, probe } = setup();
  try {
    probe.defineProbedTask('t', () => Failed);
    assert.equal(await tm.fire('t'), Failed);
    assert.match(sink.lines[1], /^BgProbe v1 task_end task=t run=1 result=failed duration_ms=0$/);
  } finally {
    await cleanup();
  }
});

test('a throwing task logs task_error and still throws into TaskManager', async () => {
  const { dir, cleanup, tm, sink, probe } = setup();
  try {
    const boom = new TypeError('quota "exceeded"\n  at sync (app.js:1)');
    probe.defineProbedTask('t', async () => { throw boom; });
    assert.equal(await tm.fire('t'), null);
    assert.equal(tm.failures.length, 1);
    assert.equal(tm.failures[0].error, boom);
    assert.equal(sink.lines[1], 'BgProbe v1 task_error task=t run=1 error="TypeError: quota \\"exceeded\\" at sync (app.js:1)"');
    assert.deepEqual(ringOnDisk(dir).map((e) => e.event), ['task_start', 'task_error']);
  } finally {
    await cleanup();
  }
});

test('run numbers continue across a process death (a new probe on the same file)', async () => {
  const { dir, cleanup, tm, probe } = setup();
  try {
    probe.defineProbedTask('t', () => Success);
    await tm.fire('t');
    await tm.fire('t');
    const tm2 = taskManager();
    const sink2 = lineSink();
    const reborn = createProbe({ taskManager: tm2, fileSystem: fileSystem(dir), platform: 'ios', log: sink2.log });
    reborn.defineProbedTask('t', () => Success);
    reborn.defineProbedTask('other', () => Success);
    await tm2.fire('t');
    await tm2.fire('other');
    assert.equal(sink2.lines[0], 'BgProbe v1 task_start task=t run=3 trigger=bgtask');
    assert.equal(sink2.lines[2], 'BgProbe v1 task_start task=other run=1 trigger=bgtask');
  } finally {
    await cleanup();
  }
});

test('tasks ending together all reach the ring', async () => {
  const { dir, cleanup } = documents();
  try {
    const tm = taskManager();
    const probe = createProbe({ taskManager: tm, fileSystem: fileSystem(dir, { delayMs: 3 }), platform: 'android', log: () => {} });
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    for (const name of ['a', 'b', 'c']) {
      probe.defineProbedTask(name, async () => { await gate; return Success; });
    }
    const runs = ['a', 'b', 'c', 'a'].map((name) => tm.fire(name));
    release();
    await Promise.all(runs);
    const ends = ringOnDisk(dir).filter((e) => e.event === 'task_end').map((e) => `${e.task}#${e.run}`).sort();
    assert.deepEqual(ends, ['a#1', 'a#2', 'b#1', 'c#1']);
  } finally {
    await cleanup();
  }
});

test('without a file system the probe still logs, numbering runs in memory', async () => {
  const tm = taskManager();
  const sink = lineSink();
  const probe = createProbe({ taskManager: tm, platform: 'android', log: sink.log });
  probe.defineProbedTask('t', () => undefined);
  await tm.fire('t');
  await tm.fire('t');
  assert.deepEqual(sink.lines.filter((l) => l.includes('task_start')).map((l) => l.split(' ')[4]), ['run=1', 'run=2']);
  assert.deepEqual(await probe.events(), []);
});

test('an unwritable ring never fails the task', async (t) => {
  const warn = mock.method(console, 'warn', () => {});
  t.after(() => warn.mock.restore());
  const { dir, cleanup } = documents();
  try {
    const tm = taskManager();
    const sink = lineSink();
    const probe = createProbe({ taskManager: tm, fileSystem: fileSystem(dir, { failWrites: true }), platform: 'android', log: sink.log });
    probe.defineProbedTask('t', () => Success);
    assert.equal(await tm.fire('t'), Success);
    assert.equal(await tm.fire('t'), Success);
    assert.deepEqual(sink.lines.filter((l) => l.includes('task_start')).map((l) => l.split(' ')[4]), ['run=1', 'run=2']);
    assert.ok(warn.mock.calls.some((c) => String(c.arguments[0]).includes('bgprobe.jsonl')));
  } finally {
    await cleanup();
  }
});

test('a run past its budget logs task_expired, aborts the signal, and logs no end', { timeout: 5000 }, async () => {
  const { dir, cleanup, tm, sink, probe } = setup();
  try {
    let aborted = false;
    probe.defineProbedTask('t', (_body, ctx) => new Promise((resolve) => {
      ctx.signal.addEventListener('abort', () => { aborted = true; resolve(Failed); });
    }), { expiresAfterMs: 1 });
    assert.equal(await tm.fire('t'), Failed);
    assert.ok(aborted);
    assert.deepEqual(sink.lines.map((l) => l.split(' ')[2]), ['task_start', 'task_expired']);
    assert.equal(sink.lines[1], 'BgProbe v1 task_expired task=t run=1');
    assert.deepEqual(ringOnDisk(dir).map((e) => e.event), ['task_start', 'task_expired']);
  } finally {
    await cleanup();
  }
});

test('expire(task) ends the running runs of that task only', async () => {
  const { cleanup, tm, sink, probe } = setup();
  try {
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    probe.defineProbedTask('t', async () => { await gate; return Success; });
    probe.defineProbedTask('u', async () => { await gate; return Success; });
    const runs = [tm.fire('t'), tm.fire('u')];
    await sink.waitFor((l) => l.includes('task_start task=u'));
    probe.expire('t');
    release();
    await Promise.all(runs);
    assert.deepEqual(sink.lines.slice(2).map((l) => l.split(' ').slice(2, 4).join(' ')),
      ['task_expired task=t', 'task_end task=u']);
  } finally {
    await cleanup();
  }
});

test('recordWake logs reason then task, and files it', async () => {
  const { dir, cleanup, sink, probe } = setup();
  try {
    await probe.recordWake('push', 'sync-orders');
    await probe.recordWake('boot');
    assert.deepEqual(sink.lines, ['BgProbe v1 wake reason=push task=sync-orders', 'BgProbe v1 wake reason=boot']);
    assert.deepEqual(ringOnDisk(dir).map((e) => Object.keys(e)), [['event', 'reason', 'task', 'time'], ['event', 'reason', 'time']]);
  } finally {
    await cleanup();
  }
});

test('options: explicit trigger, trigger from a function, and the fetch result mapping', async () => {
  const { cleanup, tm, sink, probe } = setup();
  try {
    probe.defineProbedTask('fetch', () => NewData, { trigger: 'fetch', result: backgroundFetchResult });
    probe.defineProbedTask('push', () => undefined, { trigger: (body) => (body.data?.aps ? 'push' : 'fetch'), result: backgroundFetchResult });
    await tm.fire('fetch');
    await tm.fire('push', { aps: { 'content-available': 1 } });
    assert.deepEqual(sink.lines, [
      'BgProbe v1 task_start task=fetch run=1 trigger=fetch',
      'BgProbe v1 task_end task=fetch run=1 result=success duration_ms=0',
      'BgProbe v1 task_start task=push run=1 trigger=push',
      'BgProbe v1 task_end task=push run=1 result=no_data duration_ms=0',
    ]);
  } finally {
    await cleanup();
  }
});

test('inferTrigger reads expo-location data, else the platform', () => {
  const body = (data) => ({ data, error: null, executionInfo: { eventId: '1', taskName: 't' } });
  assert.equal(inferTrigger(body({ locations: [] }), 'ios'), 'location');
  assert.equal(inferTrigger(body({ eventType: 1, region: { identifier: 'home' } }), 'android'), 'geofence');
  assert.equal(inferTrigger(body(null), 'ios'), 'bgtask');
  assert.equal(inferTrigger(body(undefined), 'android'), 'workmanager');
});

test('errorText is one line of at most 300 characters', () => {
  assert.equal(errorText(new Error('a\n  b\tc')), 'Error: a b c');
  assert.equal(errorText('plain'), 'plain');
  assert.equal(errorText('x'.repeat(400)).length, 300);
});

test('a result mapper that throws still ends the run, with the value as its result', async () => {
  const { cleanup, tm, sink, probe } = setup();
  try {
    probe.defineProbedTask('t', () => 7, { result: () => { throw new Error('unknown enum'); } });
    assert.equal(await tm.fire('t'), 7);
    assert.equal(tm.failures.length, 0);
    assert.equal(sink.lines[1], 'BgProbe v1 task_end task=t run=1 result=7 duration_ms=0');
  } finally {
    await cleanup();
  }
});
