/**
 * The probe: `defineProbedTask` wraps `TaskManager.defineTask` so that every run of a task prints its
 * probe lines (docs/probe-line.md) and lands in the ring buffer, and optionally pings the wake collector.
 *
 * What a wrapped task looks like to Expo is unchanged: the executor returns what the task returned
 * (the BackgroundTask/BackgroundFetch result enum the native side reads), and a task that throws still
 * throws after its `task_error` line, so expo-task-manager's own listener logs it and reports the run
 * finished with a null result, exactly as without the probe (src/TaskManager.ts, the EVENT_NAME listener).
 */

import { formatProbeLine, RING_BUFFER_FILE, type ProbeFields } from './format';
import { backgroundTaskResult, type ResultMapper } from './results';
import { RingBuffer, ringEntry, type RingEvent } from './ring';
import type { FileSystemLike, LaunchArgumentsSource, LinkingLike, TaskBody, TaskManagerLike } from './seams';
import type { installRunTaskTrigger } from './trigger';
import { pingCollector, type CollectorConfig, type FetchLike } from './wake';

export interface ProbeConfig<D = unknown> {
  /** `import * as TaskManager from 'expo-task-manager'`. */
  readonly taskManager: TaskManagerLike;
  /** `import * as FileSystem from 'expo-file-system'`: the ring buffer goes to `Paths.document`. */
  readonly fileSystem?: FileSystemLike<D>;
  /** `Platform.OS`: picks the default trigger (`bgtask` on iOS, `workmanager` on Android). */
  readonly platform: string;
  /** The wake collector; no pings without it. */
  readonly collector?: CollectorConfig;
  /** Ping the collector when a task starts (reason = its trigger). Default true. */
  readonly pingOnTaskStart?: boolean;
  /** Debug builds only: deep links that run a task (`Linking` from react-native or expo-linking). */
  readonly linking?: LinkingLike;
  /** Debug builds only: the launch arguments (see seams.ts). */
  readonly launchArguments?: LaunchArgumentsSource;
  /** Only deep links of this scheme run tasks. */
  readonly scheme?: string;
  readonly ringSize?: number;
  /** Where a line goes; `console.log` (logcat `I ReactNativeJS`, the iOS log's `com.facebook.react.log`). */
  readonly log?: (line: string) => void;
  readonly now?: () => number;
  readonly fetch?: FetchLike;
}

export interface TaskOptions {
  /** What starts this task (docs/probe-line.md `trigger`); by default inferred from its data and platform. */
  readonly trigger?: string | ((body: TaskBody) => string);
  /** How its return value reads as `result`; default `backgroundTaskResult`. */
  readonly result?: ResultMapper;
  /** Log `task_expired` and abort `context.signal` when a run lasts longer than this (the OS budget). */
  readonly expiresAfterMs?: number;
}

export interface TaskContext {
  readonly run: number;
  readonly trigger: string;
  /** Aborted when the run expires. */
  readonly signal: AbortSignal;
}

export type ProbedTask<T> = (body: TaskBody, context: TaskContext) => Promise<T> | T;

export interface Probe {
  /** `TaskManager.defineTask(name, …)` with the probe around `fn`. */
  defineProbedTask<T>(name: string, fn: ProbedTask<T>, options?: TaskOptions): void;
  /** Log a `wake` (push, boot, geofence, fetch …) and ping the collector. Never throws. */
  recordWake(reason: string, task?: string): Promise<void>;
  /** Run a defined task now with `trigger=test` (what the debug trigger calls). */
  runTask(name: string): Promise<void>;
  /** End every running run of `task` as expired (for apps that learn of expiry natively). */
  expire(task: string): void;
  /** The ring buffer, oldest first (empty without a file system). */
  events(): Promise<RingEvent[]>;
  /** Resolves when every event so far is on file. */
  flush(): Promise<void>;
  /** Stop listening for run-task deep links. */
  close(): void;
}

declare const __DEV__: boolean;
declare function require(id: string): unknown;

type Executor = (body: TaskBody, trigger: string) => Promise<unknown>;

class ActiveRun {
  expired = false;
  readonly controller = new AbortController();
  timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly task: string, readonly run: number) {}
}

/** A single line of at most 300 characters: an error's text may span lines, a probe line may not. */
export function errorText(err: unknown): string {
  const text = String(err).replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
}

/** The `result` of a return value; a mapper that throws must not turn a finished run into an error. */
function resultOf(value: unknown, mapper: ResultMapper): string {
  try {
    return mapper(value);
  } catch {
    return String(value);
  }
}

/** The trigger a run reports when the task's options do not say: from its data, else from the platform. */
export function inferTrigger(body: TaskBody, platform: string): string {
  const data = body.data as { locations?: unknown; eventType?: unknown; region?: unknown } | null | undefined;
  if (data !== null && typeof data === 'object') {
    if (Array.isArray(data.locations)) {
      return 'location'; // expo-location's background location task
    }
    if (data.eventType !== undefined && data.region !== undefined) {
      return 'geofence'; // expo-location's geofencing task
    }
  }
  return platform === 'ios' ? 'bgtask' : 'workmanager'; // expo-background-task (SDK 53+)
}

class ProbeImpl implements Probe {
  private readonly ring: RingBuffer | null;
  private readonly tasks = new Map<string, Executor>();
  private readonly active = new Set<ActiveRun>();
  private readonly runs = new Map<string, number>();
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private testRuns = 0;
  private stopTrigger: () => void = () => undefined;

  constructor(private readonly config: ProbeConfig<unknown>) {
    const fs = config.fileSystem;
    this.ring = fs === undefined ? null : new RingBuffer(new fs.File(fs.Paths.document, RING_BUFFER_FILE), config.ringSize);
    this.log = config.log ?? ((line: string) => console.log(line));
    this.now = config.now ?? Date.now;
  }

  defineProbedTask<T>(name: string, fn: ProbedTask<T>, options: TaskOptions = {}): void {
    const executor = (body: TaskBody, trigger: string): Promise<T> => this.execute(name, fn, options, body, trigger);
    this.tasks.set(name, executor);
    this.config.taskManager.defineTask(name, (body: TaskBody) => executor(body, this.triggerOf(body, options)));
  }

  async recordWake(reason: string, task?: string): Promise<void> {
    this.emit('wake', task === undefined ? { reason } : { reason, task });
    await this.ping(reason, task ?? null);
    await this.flush();
  }

  async runTask(name: string): Promise<void> {
    const executor = this.tasks.get(name);
    if (executor === undefined) {
      console.warn(`bgprobe: run-task trigger for '${name}', which no defineProbedTask defined`);
      return;
    }
    this.testRuns += 1;
    const body: TaskBody = { data: null, error: null, executionInfo: { eventId: `bgprobe-test-${this.testRuns}`, taskName: name } };
    try {
      await executor(body, 'test');
    } catch (err) {
      console.error(`bgprobe: task "${name}" failed:`, err); // as expo-task-manager's listener reports it
    }
  }

  expire(task: string): void {
    for (const run of [...this.active].filter((r) => r.task === task)) {
      this.markExpired(run);
    }
  }

  async events(): Promise<RingEvent[]> {
    return this.ring === null ? [] : this.ring.events();
  }

  flush(): Promise<void> {
    return this.ring === null ? Promise.resolve() : this.ring.idle();
  }

  close(): void {
    this.stopTrigger();
    this.stopTrigger = () => undefined;
  }

  /** Debug builds only: start the launch-argument and deep-link trigger with `install` (trigger.ts). */
  useTrigger(install: typeof installRunTaskTrigger): void {
    const { launchArguments, linking, scheme } = this.config;
    if (launchArguments !== undefined || linking !== undefined) {
      this.stopTrigger = install((task) => void this.runTask(task), { launchArguments, linking, scheme });
    }
  }

  private async execute<T>(name: string, fn: ProbedTask<T>, options: TaskOptions, body: TaskBody, trigger: string): Promise<T> {
    const started = this.now();
    const current = new ActiveRun(name, await this.startRun(name, trigger));
    const ping = this.config.pingOnTaskStart === false ? Promise.resolve() : this.ping(trigger, name);
    this.watch(current, options.expiresAfterMs);
    try {
      const value = await fn(body, { run: current.run, trigger, signal: current.controller.signal });
      const result = resultOf(value, options.result ?? backgroundTaskResult);
      this.end(current, 'task_end', { task: name, run: current.run, result, duration_ms: Math.round(this.now() - started) });
      return value;
    } catch (err) {
      this.end(current, 'task_error', { task: name, run: current.run, error: errorText(err) });
      throw err;
    } finally {
      await ping; // bounded by the ping's own timeout
      await this.flush();
    }
  }

  private end(current: ActiveRun, event: 'task_end' | 'task_error', fields: ProbeFields): void {
    clearTimeout(current.timer);
    this.active.delete(current);
    if (!current.expired) {
      // Once the OS took the run's time away, the run is over for the harness, as in the lab's app.
      this.emit(event, fields);
    }
  }

  private watch(current: ActiveRun, expiresAfterMs: number | undefined): void {
    this.active.add(current);
    if (expiresAfterMs !== undefined) {
      current.timer = setTimeout(() => this.markExpired(current), expiresAfterMs);
    }
  }

  private markExpired(current: ActiveRun): void {
    if (current.expired || !this.active.has(current)) {
      return;
    }
    current.expired = true;
    clearTimeout(current.timer);
    this.emit('task_expired', { task: current.task, run: current.run });
    current.controller.abort();
  }

  private triggerOf(body: TaskBody, options: TaskOptions): string {
    const t = options.trigger;
    if (t === undefined) {
      return inferTrigger(body, this.config.platform);
    }
    return typeof t === 'string' ? t : t(body);
  }

  /**
   * Number the run and log its `task_start`. The ring numbers it (its file survives process death); if
   * the file cannot be read or written, the run is one past the last this process numbered.
   */
  private async startRun(task: string, trigger: string): Promise<number> {
    const fields = (run: number): ProbeFields => ({ task, run, trigger });
    let run: number | null = null;
    if (this.ring !== null) {
      try {
        run = await this.ring.startRun(task, () => this.runs.get(task) ?? 0, (n) => ringEntry('task_start', fields(n), this.now()));
      } catch (err) {
        console.warn(`bgprobe: cannot update ${RING_BUFFER_FILE}: ${String(err)}`);
      }
    }
    // No await from here to set(): runs that fall back together still get distinct numbers.
    const numbered = run ?? (this.runs.get(task) ?? 0) + 1;
    this.runs.set(task, Math.max(numbered, this.runs.get(task) ?? 0));
    this.log(formatProbeLine('task_start', fields(numbered)));
    return numbered;
  }

  private emit(event: string, fields: ProbeFields): void {
    this.log(formatProbeLine(event, fields));
    if (this.ring !== null) {
      this.ring.append(ringEntry(event, fields, this.now())).catch((err: unknown) => {
        console.warn(`bgprobe: cannot write ${RING_BUFFER_FILE}: ${String(err)}`);
      });
    }
  }

  private async ping(reason: string, task: string | null): Promise<void> {
    const collector = this.config.collector;
    if (collector === undefined) {
      return;
    }
    const fetchImpl: FetchLike = this.config.fetch ?? ((url, init) => globalThis.fetch(url, init));
    await pingCollector(collector, reason, task, this.now(), fetchImpl);
  }
}

/** The probe for an app; create it once, at module level, before the app's tasks are defined. */
export function createProbe<D>(config: ProbeConfig<D>): Probe {
  const probe = new ProbeImpl(config as ProbeConfig<unknown>);
  if (__DEV__) {
    // Required inside the guard, not imported: Metro's release transform turns `__DEV__` into false and
    // folds this block away before it collects dependencies, so trigger.ts is not in a release bundle.
    const trigger = require('./trigger') as typeof import('./trigger');
    probe.useTrigger(trigger.installRunTaskTrigger);
  }
  return probe;
}
