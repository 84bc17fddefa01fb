#!/usr/bin/env node
// For tests/probe/test_probe_lines.py: reads `[[event, [[key, value], …]], …]` (JSON) on stdin and
// writes, for each, formatProbeLine's line as one JSON string per output line (values may hold newlines).
import { readFileSync } from 'node:fs';

import { formatProbeLine } from '../dist/format.js';

const cases = JSON.parse(readFileSync(0, 'utf8'));
for (const [event, pairs] of cases) {
  process.stdout.write(`${JSON.stringify(formatProbeLine(event, Object.fromEntries(pairs)))}\n`);
}
