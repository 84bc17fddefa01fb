/**
 * From what a task returned to the probe's `result` (docs/probe-line.md: `success`, `failed`, `no_data`).
 *
 * The numbers are Expo's enums, which differ per module:
 * - expo-background-task (SDK 53+) `BackgroundTaskResult`: Success = 1, Failed = 2
 *   (src/BackgroundTask.types.ts);
 * - expo-background-fetch (SDK ≤ 52) `BackgroundFetchResult`: NoData = 1, NewData = 2, Failed = 3
 *   (src/BackgroundFetch.types.ts); the native side answers NoData when a task returns nothing
 *   (EXTaskService.m: runTasksWithReason).
 * Location and geofencing tasks return nothing: their run counts as a success.
 */

export type ProbeResult = 'success' | 'failed' | 'no_data';

/** Maps a task's return value to the `result` key; a value it does not know is written as its text. */
export type ResultMapper = (value: unknown) => ProbeResult | string;

const TASK: Readonly<Record<number, ProbeResult>> = { 1: 'success', 2: 'failed' };
const FETCH: Readonly<Record<number, ProbeResult>> = { 1: 'no_data', 2: 'success', 3: 'failed' };

function mapper(table: Readonly<Record<number, ProbeResult>>, nothing: ProbeResult): ResultMapper {
  return (value: unknown) => {
    if (value === undefined || value === null) {
      return nothing;
    }
    if (typeof value === 'number') {
      return table[value] ?? String(value);
    }
    return typeof value === 'string' ? value : nothing;
  };
}

/** expo-background-task's `BackgroundTaskResult` (the default). */
export const backgroundTaskResult: ResultMapper = mapper(TASK, 'success');

/** expo-background-fetch's `BackgroundFetchResult`. */
export const backgroundFetchResult: ResultMapper = mapper(FETCH, 'no_data');
