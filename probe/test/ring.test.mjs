import assert from 'node:assert/strict';
import { test } from 'node:test';

import { lastRun, parseRing, RingBuffer, ringEntry } from '../dist/ring.js';
import { documents, fileSystem, ringOnDisk } from '../fixtures/stubs.mjs';

function ringIn(dir, options, size) {
  const fs = fileSystem(dir, options);
  return new RingBuffer(new fs.File(fs.Paths.document, 'bgprobe.jsonl'), size);
}

test('an entry is event, then the fields in order, then time', () => {
  const entry = ringEntry('task_start', { task: 't', run: 1, trigger: 'test' }, 1000.4);
  assert.equal(JSON.stringify(entry), '{"event":"task_start","task":"t","run":1,"trigger":"test","time":1000}');
});

test('parseRing skips blank, torn and non-object lines', () => {
  const text = '{"event":"wake","reason":"push","time":1}\n\n[1,2]\n"x"\n{"no_event":1}\n{"event":"task_start","ta';
  assert.deepEqual(parseRing(text), [{ event: 'wake', reason: 'push', time: 1 }]);
});

test('lastRun is the highest run of that task only', () => {
  const events = [
    { event: 'task_start', task: 'a', run: 2, time: 1 },
    { event: 'task_start', task: 'b', run: 9, time: 2 },
    { event: 'task_end', task: 'a', run: 3, time: 3 },
    { event: 'wake', reason: 'push', time: 4 },
  ];
  assert.equal(lastRun(events, 'a'), 3);
  assert.equal(lastRun(events, 'c'), 0);
});

test('the ring keeps the last N entries on disk', async () => {
  const { dir, cleanup } = documents();
  try {
    const ring = ringIn(dir, {}, 3);
    for (let i = 1; i <= 5; i += 1) {
      await ring.append(ringEntry('task_start', { task: 't', run: i, trigger: 'test' }, i));
    }
    assert.deepEqual(ringOnDisk(dir).map((e) => e.run), [3, 4, 5]);
    assert.deepEqual((await ring.events()).map((e) => e.run), [3, 4, 5]);
  } finally {
    cleanup();
  }
});

test('concurrent appends lose nothing, even with slow reads', async () => {
  const { dir, cleanup } = documents();
  try {
    const ring = ringIn(dir, { delayMs: 3 });
    await Promise.all(Array.from({ length: 20 }, (_, i) =>
      ring.append(ringEntry('task_end', { task: `t${i}`, run: 1, result: 'success', duration_ms: i }, i))));
    const tasks = ringOnDisk(dir).map((e) => e.task).sort();
    assert.deepEqual(tasks, Array.from({ length: 20 }, (_, i) => `t${i}`).sort());
  } finally {
    cleanup();
  }
});

test('runs starting together get distinct numbers, each start on file', async () => {
  const { dir, cleanup } = documents();
  try {
    const ring = ringIn(dir, { delayMs: 2 });
    const entry = (run) => ringEntry('task_start', { task: 't', run, trigger: 'test' }, run);
    const runs = await Promise.all(Array.from({ length: 5 }, () => ring.startRun('t', () => 0, entry)));
    assert.deepEqual([...runs].sort(), [1, 2, 3, 4, 5]);
    assert.deepEqual(ringOnDisk(dir).map((e) => e.run).sort(), [1, 2, 3, 4, 5]);
  } finally {
    cleanup();
  }
});

test('a run is numbered past the floor when the ring has forgotten older runs', async () => {
  const { dir, cleanup } = documents();
  try {
    const ring = ringIn(dir);
    const run = await ring.startRun('t', () => 7, (n) => ringEntry('task_start', { task: 't', run: n, trigger: 'test' }, 0));
    assert.equal(run, 8);
  } finally {
    cleanup();
  }
});
