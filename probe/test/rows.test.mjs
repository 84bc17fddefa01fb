import assert from 'node:assert/strict';
import { test } from 'node:test';

import { diagnosticRows } from '../dist/rows.js';

test('rows are newest first with the other fields as key=value', () => {
  const rows = diagnosticRows([
    { event: 'task_start', task: 'sync orders', run: 3, trigger: 'workmanager', time: 1764316502311 },
    { event: 'task_end', task: 'sync orders', run: 3, result: 'success', duration_ms: 840, time: 1764316503151 },
    { event: 'wake', reason: 'push', time: 1764316504000 },
  ]);
  assert.deepEqual(rows.map((r) => [r.event, r.task, r.run, r.detail]), [
    ['wake', '', '', 'reason=push'],
    ['task_end', 'sync orders', '3', 'result=success duration_ms=840'],
    ['task_start', 'sync orders', '3', 'trigger=workmanager'],
  ]);
  assert.equal(rows[2].time, '2025-11-28T07:55:02.311Z');
  assert.equal(new Set(rows.map((r) => r.key)).size, 3);
});
