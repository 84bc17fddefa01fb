/**
 * The ring buffer: the last N probe events as JSON lines in `<documents>/bgprobe.jsonl`.
 *
 * Each line is one object with `event`, the line's fields in order, and `time` (ms since 1970), the
 * shape harness/contracts/ring.py describes and the lab's modelled app writes, and the
 * harness pulls with `run-as <pkg> cat files/bgprobe.jsonl` (Android: expo-file-system's document
 * directory is `Context.getFilesDir()`, FileSystemModule.kt `documentDirectory`) or through
 * house_arrest `Documents/bgprobe.jsonl` (iOS).
 *
 * Every read-modify-write runs on one promise chain, so two tasks ending together never lose an
 * event, and a run's number is picked and its start written in one step, so two runs starting together
 * never get the same `run`.
 */

import type { ProbeFields } from './format';

/** One ring entry: `{"event": …, <fields>…, "time": ms}`. */
export type RingEvent = Readonly<Record<string, string | number>> & { readonly event: string; readonly time: number };

/**
 * The part of expo-file-system's `File` the ring uses (SDK 54 `File` class; `expo-file-system/next` in
 * SDK 52–53, where `text()` returned the string directly, hence `Promise<string> | string`).
 * `write` creates a missing file on both platforms (FileSystemFile.kt `write`: `if (!exists) create()`;
 * FileSystemFile.swift `write`: `String.write(to:)`); `text()` throws on a missing file, so check `exists`.
 */
export interface RingFile {
  readonly exists: boolean;
  text(): Promise<string> | string;
  write(content: string): void;
}

/** Lines kept, as in the lab's app (RING_SIZE). */
export const DEFAULT_RING_SIZE = 200;

/** The entries of a ring file's text; lines that are not JSON objects are skipped, as the lab does. */
export function parseRing(text: string): RingEvent[] {
  const out: RingEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      continue;
    }
    try {
      const item: unknown = JSON.parse(line);
      if (isRingEvent(item)) {
        out.push(item);
      }
    } catch {
      // A torn last line (the app died mid-write) is dropped; the rest of the ring is kept.
    }
  }
  return out;
}

function isRingEvent(item: unknown): item is RingEvent {
  return typeof item === 'object' && item !== null && !Array.isArray(item) &&
    typeof (item as { event?: unknown }).event === 'string';
}

/** The highest `run` the ring holds for `task`, 0 when none (the lab's Probe.next_run minus one). */
export function lastRun(events: readonly RingEvent[], task: string): number {
  let best = 0;
  for (const e of events) {
    if (e.task === task && e.run !== undefined) {
      const run = Number(e.run);
      if (Number.isInteger(run) && run > best) {
        best = run;
      }
    }
  }
  return best;
}

/** The ring entry for an event: `event` first, then the fields in order, then `time`. */
export function ringEntry(event: string, fields: ProbeFields, timeMs: number): RingEvent {
  return { event, ...fields, time: Math.round(timeMs) } as RingEvent;
}

export class RingBuffer {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: RingFile, private readonly size: number = DEFAULT_RING_SIZE) {}

  /** The events on file, oldest first. */
  events(): Promise<RingEvent[]> {
    return this.serial(() => this.read());
  }

  /** Append one entry, dropping the oldest beyond the ring's size. */
  append(entry: RingEvent): Promise<void> {
    return this.serial(async () => {
      this.write([...(await this.read()), entry]);
    });
  }

  /**
   * Start a run of `task`: pick its number (one past the highest the ring or `floor()` knows) and append
   * its start entry in the same locked step, so runs starting together never share a number.
   */
  startRun(task: string, floor: () => number, entry: (run: number) => RingEvent): Promise<number> {
    return this.serial(async () => {
      const events = await this.read();
      const run = Math.max(lastRun(events, task), floor()) + 1;
      this.write([...events, entry(run)]);
      return run;
    });
  }

  /** Resolves once every write queued so far is on file (rejections are reported by their own promises). */
  idle(): Promise<void> {
    return this.tail.then(() => undefined, () => undefined);
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op, op);
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async read(): Promise<RingEvent[]> {
    if (!this.file.exists) {
      return [];
    }
    return parseRing(await this.file.text());
  }

  private write(events: readonly RingEvent[]): void {
    const kept = events.slice(-this.size);
    this.file.write(kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }
}
