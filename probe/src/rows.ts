/**
 * What the diagnostics screen shows for the ring buffer: one row per event, newest first. Pure, so the
 * screen (diagnostics.tsx) is a thin view and this is tested without React Native.
 */

import { formatProbeValue } from './format';
import type { RingEvent } from './ring';

export interface DiagnosticRow {
  readonly key: string;
  /** `time` as ISO 8601 UTC (the harness compares it with device time, which is UTC in logs it pulls). */
  readonly time: string;
  readonly event: string;
  readonly task: string;
  readonly run: string;
  /** The other fields as `key=value`, quoted like the probe line. */
  readonly detail: string;
}

const SHOWN = new Set(['event', 'time', 'task', 'run']);

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

export function diagnosticRows(events: readonly RingEvent[]): DiagnosticRow[] {
  return events.map((e, i) => ({
    key: `${i}`,
    time: isoTime(Number(e.time)),
    event: e.event,
    task: e.task === undefined ? '' : String(e.task),
    run: e.run === undefined ? '' : String(e.run),
    detail: Object.entries(e).filter(([k]) => !SHOWN.has(k)).map(([k, v]) => `${k}=${formatProbeValue(v)}`).join(' '),
  })).reverse();
}
