/**
 * The wake ping: tells the harness's wake collector that the app was woken, over HTTP, as it happens.
 *
 * The collector's contract: `POST <url>/wake` with `Authorization: Bearer <token>` and the JSON body
 * `{"device": string, "reason": string, "task": string|null, "time_ms": number}`.
 * A ping never throws and never takes longer than its timeout: `fetch` is aborted through an
 * `AbortController` (React Native's fetch honours `signal`, like the WHATWG one).
 */

/** Where the collector is and who the app is to it; from the app's config (e.g. `expo.extra`). */
export interface CollectorConfig {
  /** Base URL, e.g. `http://192.168.1.20:8765`; `/wake` is appended. */
  readonly url: string;
  readonly token: string;
  /** The phone's name for the harness (its `devices.toml` name). */
  readonly device: string;
  /** Upper bound of one ping, ms. */
  readonly timeoutMs?: number;
}

export const DEFAULT_PING_TIMEOUT_MS = 3000;

export interface WakeBody {
  readonly device: string;
  readonly reason: string;
  readonly task: string | null;
  readonly time_ms: number;
}

/** The part of `fetch` the ping uses. */
export type FetchLike = (url: string, init: {
  method: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}) => Promise<{ readonly ok: boolean; readonly status: number }>;

/** The collector's endpoint for a configured base URL. */
export function wakeUrl(base: string): string {
  return `${base.replace(/\/+$/, '')}/wake`;
}

/**
 * Send one wake to the collector. Resolves true when it answered 2xx, false on any failure or on
 * timeout (the request is aborted then); it never rejects.
 */
export async function pingCollector(config: CollectorConfig, reason: string, task: string | null,
  timeMs: number, fetchImpl: FetchLike): Promise<boolean> {
  const body: WakeBody = { device: config.device, reason, task, time_ms: Math.round(timeMs) };
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(false);
    }, config.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS);
  });
  const request = (async (): Promise<boolean> => {
    try {
      const response = await fetchImpl(wakeUrl(config.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${config.token}` },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      return response.ok;
    } catch {
      return false;
    }
  })();
  try {
    // A fetch that ignores its signal still cannot hold the caller past the timeout.
    return await Promise.race([request, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
