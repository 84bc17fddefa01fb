import assert from 'node:assert/strict';
import { test } from 'node:test';

import { createProbe } from '../dist/probe.js';
import { RUN_TASK_ARGUMENT, taskFromArgumentMap, taskFromArgv, taskFromUrl } from '../dist/trigger.js';
import { documents, fileSystem, lineSink, linking, ringOnDisk, taskManager } from '../fixtures/stubs.mjs';

test('the argument is the harness constant', () => {
  assert.equal(RUN_TASK_ARGUMENT, '--bgprobe-run-task'); // harness/contracts/probe.py RUN_TASK_ARGUMENT
});

const ARGV = [
  [['--bgprobe-run-task', 'sync-orders'], 'sync-orders'],
  [['-AppleLanguages', '(en)', '--bgprobe-run-task', 'nightly backup'], 'nightly backup'],
  [['--bgprobe-run-task=sync-orders'], 'sync-orders'],
  [['--bgprobe-run-task'], null],
  [['--bgprobe-run-task', ''], null],
  [['sync-orders'], null],
  [[], null],
];
for (const [argv, task] of ARGV) {
  test(`argv ${JSON.stringify(argv)} → ${task}`, () => assert.equal(taskFromArgv(argv), task));
}

// react-native-launch-arguments: iOS removes every "-" from a flag's name (ios/LaunchArguments.m
// cleanValue) and JSON-parses values in JS (src/index.ts); Android keeps intent extras' keys.
const MAPS = [
  [{ bgproberuntask: 'sync-orders' }, 'sync-orders'],
  [{ 'bgprobe-run-task': 'sync-orders' }, 'sync-orders'],
  [{ '--bgprobe-run-task': 'sync-orders' }, 'sync-orders'],
  [{ bgproberuntask: 7 }, '7'],
  [{ bgproberuntask: true }, null],
  [{ other: 'x' }, null],
];
for (const [map, task] of MAPS) {
  test(`launch-argument map ${JSON.stringify(map)} → ${task}`, () => assert.equal(taskFromArgumentMap(map), task));
}

const URLS = [
  ['myapp://bgprobe/run-task?task=sync-orders', undefined, 'sync-orders'],
  ['myapp://bgprobe/run-task/?task=sync-orders', undefined, 'sync-orders'],
  ['myapp://bgprobe/run-task?x=1&task=nightly%20backup', undefined, 'nightly backup'],
  ['myapp://bgprobe/run-task?task=nightly+backup#frag', undefined, 'nightly backup'],
  ['exp+myapp://bgprobe/run-task?task=a%3Db', undefined, 'a=b'],
  ['MyApp://bgprobe/run-task?task=t', 'myapp', 't'],
  ['other://bgprobe/run-task?task=t', 'myapp', null],
  ['myapp://bgprobe/run-task?task=', undefined, null],
  ['myapp://bgprobe/run-task?task=%E0%A4%A', undefined, null],
  ['myapp://bgprobe/run-task', undefined, null],
  ['myapp://orders/42?task=t', undefined, null],
  ['https://example.com/bgprobe/run-task?task=t', undefined, null],
];
for (const [url, scheme, task] of URLS) {
  test(`url ${url} (scheme ${scheme}) → ${task}`, () => assert.equal(taskFromUrl(url, scheme), task));
}

/** A debug-build probe (React Native's __DEV__ true) with one defined task. */
function debugProbe(t, extra) {
  const dev = globalThis.__DEV__;
  globalThis.__DEV__ = true;
  t.after(() => { globalThis.__DEV__ = dev; });
  const { dir, cleanup } = documents();
  const sink = lineSink();
  const probe = createProbe({ taskManager: taskManager(), fileSystem: fileSystem(dir), platform: 'ios', log: sink.log, ...extra });
  // One hook, in this order: a ring write still in flight must land before its directory goes, or it warns
  // (ENOENT) into whichever test runs next.
  t.after(async () => { probe.close(); await probe.flush(); cleanup(); });
  probe.defineProbedTask('sync-orders', () => 1);
  return { dir, sink, probe };
}

const ended = (l) => l.includes('task_end');

test('debug build launched with the argument runs the task with trigger=test', { timeout: 5000 }, async (t) => {
  const { dir, sink, probe } = debugProbe(t, { launchArguments: () => ['--bgprobe-run-task', 'sync-orders'] });
  await sink.waitFor(ended);
  await probe.flush();
  assert.equal(sink.lines[0], 'BgProbe v1 task_start task=sync-orders run=1 trigger=test');
  assert.deepEqual(ringOnDisk(dir).map((e) => e.event), ['task_start', 'task_end']);
});

test('debug build opened with the deep link runs the task, and so does a later link', { timeout: 5000 }, async (t) => {
  const link = linking('myapp://bgprobe/run-task?task=sync-orders');
  const { sink } = debugProbe(t, { linking: link, scheme: 'myapp' });
  await sink.waitFor(ended);
  link.open('myapp://orders/42');
  link.open('myapp://bgprobe/run-task?task=sync-orders');
  await sink.waitFor((l) => l.includes('task_end task=sync-orders run=2'));
  assert.deepEqual(sink.lines.filter((l) => l.includes('task_start')),
    ['BgProbe v1 task_start task=sync-orders run=1 trigger=test', 'BgProbe v1 task_start task=sync-orders run=2 trigger=test']);
});

test('close() stops listening for links', (t) => {
  const link = linking();
  const { probe } = debugProbe(t, { linking: link });
  assert.equal(link.handlers.size, 1);
  probe.close();
  assert.equal(link.handlers.size, 0);
});

test('release build (__DEV__ false): the trigger reads no argument and registers no listener', () => {
  assert.equal(globalThis.__DEV__, false);
  const link = linking('myapp://bgprobe/run-task?task=t');
  let argsRead = false;
  const probe = createProbe({
    taskManager: taskManager(), platform: 'android', log: () => {}, linking: link,
    launchArguments: () => { argsRead = true; return ['--bgprobe-run-task', 't']; },
  });
  probe.defineProbedTask('t', () => 1);
  assert.equal(link.handlers.size, 0);
  assert.equal(argsRead, false);
});

test('a link naming a task nobody defined warns and runs nothing', { timeout: 5000 }, async (t) => {
  const warned = new Promise((resolve) => t.mock.method(console, 'warn', (msg) => {
    if (String(msg).includes('run-task')) resolve(msg);
  }));
  const { sink } = debugProbe(t, { linking: linking('myapp://bgprobe/run-task?task=nope') });
  assert.match(await warned, /run-task trigger for 'nope'/);
  assert.deepEqual(sink.lines, []);
});
