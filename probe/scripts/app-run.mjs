#!/usr/bin/env node
// For tests/probe/test_probe_lines.py: an app's background tasks, run through the probe exactly as an
// app wires it (createProbe with console.log as the line sink), with expo-task-manager and
// expo-file-system stood in by the test fixtures. Usage: app-run.mjs <documents dir>.
// Prints the probe lines on stdout (as console.log does in the app); the ring goes to <dir>/bgprobe.jsonl.
import { createProbe } from '../dist/index.js';
import { clock, fileSystem, taskManager } from '../fixtures/stubs.mjs';

const Success = 1; // BackgroundTaskResult
const Failed = 2;

const tm = taskManager();
const time = clock();
const probe = createProbe({ taskManager: tm, fileSystem: fileSystem(process.argv[2]), platform: 'android', now: time.now });

probe.defineProbedTask('sync-orders', () => {
  time.advance(840);
  return tm.finished.length === 0 ? Success : Failed;
});
probe.defineProbedTask('nightly backup', () => {
  throw new Error('disk "full" = yes \\ no');
});
probe.defineProbedTask('geo fence', () => undefined);
probe.defineProbedTask('long', (_body, ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(Failed))),
  { expiresAfterMs: 5 });

await tm.fire('sync-orders');
await tm.fire('sync-orders');
await tm.fire('nightly backup');
await tm.fire('geo fence', { eventType: 1, region: { identifier: 'home', radius: 100 } });
await probe.recordWake('push', 'sync-orders');
await probe.recordWake('boot');
await tm.fire('long');
await probe.flush();
