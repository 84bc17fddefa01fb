import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatProbeLine, formatProbeValue } from '../dist/format.js';

// value → text, as harness/contracts/probe.py:_value writes it (the Python test compares the
// two implementations over a larger corpus through node).
const VALUES = [
  ['sync-orders', 'sync-orders'],
  [3, '3'],
  [-1, '-1'],
  [840, '840'],
  ['', '""'],
  ['nightly backup', '"nightly backup"'],
  ['a=b', '"a=b"'],
  ['say "hi"', '"say \\"hi\\""'],
  ['C:\\tmp', '"C:\\\\tmp"'],
  ['tab\there', '"tab\there"'],
  ['two\nlines', '"two\nlines"'],
  ['\u00e9t\u00e9', '\u00e9t\u00e9'],
  ['nbsp\u00a0x', '"nbsp\u00a0x"'],
  ['ideographic\u3000x', '"ideographic\u3000x"'],
  // Python's str.isspace() but not JS's \s: quoted, as the lab quotes them.
  ['fs\u001cx', '"fs\u001cx"'],
  ['nel\u0085x', '"nel\u0085x"'],
  // JS's \s but not Python's: bare, as the lab leaves it.
  ['bom\ufeffx', 'bom\ufeffx'],
  ['emoji\u{1F600}', 'emoji\u{1F600}'],
];

for (const [value, text] of VALUES) {
  test(`value ${JSON.stringify(value)}`, () => {
    assert.equal(formatProbeValue(value), text);
  });
}

test('a line keeps the fields in the order given', () => {
  assert.equal(
    formatProbeLine('task_end', { task: 'sync-orders', run: 3, result: 'success', duration_ms: 840 }),
    'BgProbe v1 task_end task=sync-orders run=3 result=success duration_ms=840',
  );
});

test('a line with no fields is the marker and the event', () => {
  assert.equal(formatProbeLine('wake', {}), 'BgProbe v1 wake');
});
