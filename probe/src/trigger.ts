/**
 * The debug run-task trigger (docs/probe-line.md, "The debug trigger"): a debug build launched with
 * `["--bgprobe-run-task", "<task>"]`, or opened with `<scheme>://bgprobe/run-task?task=<task>`, runs that
 * task at once with `trigger=test`. No OS API forces an Expo task to run on iOS without a debugger
 * (reference ios.md §4.3), so the iOS driver launches the app with the argument instead.
 *
 * This module is only `require`d inside `if (__DEV__)` (probe.ts), so Metro's release transform
 * (metro-transform-plugins inline-plugin: `__DEV__` → false, then constant-folding) drops the call and
 * the dependency: a release bundle does not contain this file.
 */

import type { LaunchArgumentsSource, LinkingLike } from './seams';

/** The launch argument; the same constant as harness/contracts/probe.py RUN_TASK_ARGUMENT. */
export const RUN_TASK_ARGUMENT = '--bgprobe-run-task';

/** The deep link's host and path: `<scheme>://bgprobe/run-task?task=<name>`. */
export const RUN_TASK_PATH = 'bgprobe/run-task';

// Keys under which react-native-launch-arguments reports the argument: on iOS it deletes every "-"
// from a flag (ios/LaunchArguments.m: cleanValue), on Android it passes intent extras' keys as they are.
const MAP_KEYS = ['bgproberuntask', 'bgprobe-run-task', RUN_TASK_ARGUMENT] as const;

/** The task named by raw launch arguments (`--bgprobe-run-task <name>` or `--bgprobe-run-task=<name>`). */
export function taskFromArgv(args: readonly string[]): string | null {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === RUN_TASK_ARGUMENT) {
      const name = args[i + 1];
      return name !== undefined && name !== '' ? name : null;
    }
    if (arg !== undefined && arg.startsWith(`${RUN_TASK_ARGUMENT}=`)) {
      const name = arg.slice(RUN_TASK_ARGUMENT.length + 1);
      return name !== '' ? name : null;
    }
  }
  return null;
}

/** The task named in react-native-launch-arguments' map (it JSON-parses values, so "7" arrives as 7). */
export function taskFromArgumentMap(map: Readonly<Record<string, unknown>>): string | null {
  for (const key of MAP_KEYS) {
    const value = map[key];
    if (typeof value === 'string' && value !== '') {
      return value;
    }
    if (typeof value === 'number') {
      return String(value);
    }
  }
  return null;
}

/** The task named by either shape of launch arguments. */
export function taskFromLaunchArguments(args: readonly string[] | Readonly<Record<string, unknown>>): string | null {
  return isArgv(args) ? taskFromArgv(args) : taskFromArgumentMap(args);
}

function isArgv(args: readonly string[] | Readonly<Record<string, unknown>>): args is readonly string[] {
  return Array.isArray(args);
}

const RUN_TASK_URL = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/bgprobe\/run-task\/?\?([^#]*)/;

/** The task named by a run-task deep link, or null for any other URL (or another scheme than `scheme`). */
export function taskFromUrl(url: string, scheme?: string): string | null {
  const m = RUN_TASK_URL.exec(url);
  if (m === null) {
    return null;
  }
  if (scheme !== undefined && m[1]?.toLowerCase() !== scheme.toLowerCase()) {
    return null;
  }
  for (const pair of (m[2] ?? '').split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq) !== 'task') {
      continue;
    }
    try {
      const name = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
      return name !== '' ? name : null;
    } catch {
      return null; // malformed %-escape
    }
  }
  return null;
}

export interface TriggerSources {
  readonly launchArguments?: LaunchArgumentsSource;
  readonly linking?: LinkingLike;
  /** Only links of this scheme trigger (the app's `expo.scheme`); any scheme when absent. */
  readonly scheme?: string;
}

/**
 * Watch the launch arguments (once) and deep links (the initial URL, then every `url` event) and call
 * `run` for each task they name. `run` is called on a later tick, after the app's module-level
 * `defineProbedTask` calls. Returns a function that stops listening.
 */
export function installRunTaskTrigger(run: (task: string) => void, sources: TriggerSources): () => void {
  const later = (task: string | null): void => {
    if (task !== null) {
      setTimeout(() => run(task), 0);
    }
  };
  if (sources.launchArguments !== undefined) {
    try {
      later(taskFromLaunchArguments(sources.launchArguments()));
    } catch (err) {
      console.warn(`bgprobe: cannot read the launch arguments: ${String(err)}`);
    }
  }
  const linking = sources.linking;
  if (linking === undefined) {
    return () => undefined;
  }
  linking.getInitialURL().then(
    (url) => later(url === null ? null : taskFromUrl(url, sources.scheme)),
    (err: unknown) => console.warn(`bgprobe: cannot read the initial URL: ${String(err)}`),
  );
  const subscription = linking.addEventListener('url', ({ url }) => later(taskFromUrl(url, sources.scheme)));
  return () => subscription.remove();
}
