/**
 * The probe line (docs/probe-line.md): `BgProbe v1 <event> key=value key=value …`, one per task event.
 *
 * `formatProbeLine` is the only place that writes it. It must stay byte-for-byte equal to the lab's
 * `format_probe_line` (harness/contracts/probe.py), which `harness.contracts.probe.parse_probe`
 * reads back; tests/probe/test_probe_lines.py checks both against each other through node.
 */

/** The marker the harness looks for anywhere in a log message (harness/contracts/probe.py: MARKER). */
export const PROBE_MARKER = 'BgProbe v1';

/** The ring buffer's file name in the app's documents directory (harness/contracts/ring.py: RING_BUFFER_FILE). */
export const RING_BUFFER_FILE = 'bgprobe.jsonl';

/** The events of docs/probe-line.md; the parser keeps unknown ones, so the union may grow. */
export type ProbeEventName = 'task_start' | 'task_end' | 'task_error' | 'task_expired' | 'wake';

/** A field value. Only strings and integers are written: their text is the same in JS and in Python's `str()`. */
export type ProbeValue = string | number;

/** Fields in the order they are printed (JS objects keep insertion order for non-numeric keys). */
export type ProbeFields = Readonly<Record<string, ProbeValue>>;

// Python's `\s` (str.isspace) is not JS's `\s`: Python adds U+001C–U+001F and U+0085, JS adds U+FEFF.
// The class below is Python's, so a value is quoted here exactly when the lab quotes it.
const PY_SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const BARE = new RegExp(`^[^${PY_SPACE}="\\\\]+$`);

/** The text of one value: bare, or double-quoted with `\` and `"` escaped (docs/probe-line.md). */
export function formatProbeValue(value: ProbeValue): string {
  const text = String(value);
  if (BARE.test(text)) {
    return text;
  }
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** One probe line: `BgProbe v1 <event>` then `key=value` for each field, in order, space-separated. */
export function formatProbeLine(event: string, fields: ProbeFields): string {
  const parts = [PROBE_MARKER, event];
  for (const [key, value] of Object.entries(fields)) {
    parts.push(`${key}=${formatProbeValue(value)}`);
  }
  return parts.join(' ');
}
