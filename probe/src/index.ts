/**
 * @bgharness/probe: what an Expo / React Native app tells bgharness about its background tasks.
 * See docs/probe.md (setup) and docs/probe-line.md (the line, the ring buffer, the trigger).
 * The diagnostics screen is a separate entry, `@bgharness/probe/diagnostics`, so that apps without
 * React Native UI (and the tests) do not load react-native.
 */

export { formatProbeLine, formatProbeValue, PROBE_MARKER, RING_BUFFER_FILE } from './format';
export type { ProbeEventName, ProbeFields, ProbeValue } from './format';
export { createProbe, errorText, inferTrigger } from './probe';
export type { Probe, ProbeConfig, ProbedTask, TaskContext, TaskOptions } from './probe';
export { backgroundFetchResult, backgroundTaskResult } from './results';
export type { ProbeResult, ResultMapper } from './results';
export { DEFAULT_RING_SIZE, parseRing } from './ring';
export type { RingEvent, RingFile } from './ring';
export type { FileSystemLike, LaunchArgumentsSource, LinkingLike, TaskBody, TaskManagerLike } from './seams';
export { DEFAULT_PING_TIMEOUT_MS, pingCollector, wakeUrl } from './wake';
export type { CollectorConfig, FetchLike, WakeBody } from './wake';
