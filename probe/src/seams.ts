/**
 * The Expo / React Native interfaces the probe uses, declared structurally: the app passes the real
 * modules in (`import * as TaskManager from 'expo-task-manager'` …) and its compiler checks them against
 * these; tests pass stand-ins with the same shape. The probe itself imports no peer at run time.
 */

import type { RingFile } from './ring';

/** expo-task-manager's `TaskManagerTaskBody` (src/TaskManager.ts). */
export interface TaskBody<T = unknown> {
  readonly data: T;
  readonly error: { readonly code: string | number; readonly message: string } | null;
  readonly executionInfo: {
    readonly eventId: string;
    readonly taskName: string;
    /** iOS only. */
    readonly appState?: 'active' | 'background' | 'inactive';
  };
}

/**
 * expo-task-manager's `defineTask(taskName, taskExecutor)`. Its event listener awaits the executor, and
 * when the executor throws it logs `TaskManager: Task "<name>" failed:` with `console.error` and still
 * reports the task finished with a null result (src/TaskManager.ts, the `EVENT_NAME` listener).
 */
export interface TaskManagerLike {
  defineTask(taskName: string, taskExecutor: (body: TaskBody) => Promise<unknown>): void;
}

/**
 * expo-file-system's `File` and `Paths` (SDK 54 `import * as FileSystem from 'expo-file-system'`;
 * SDK 52–53 `'expo-file-system/next'`). `Paths.document` is the app's documents directory: `Documents/`
 * in the iOS container, `Context.getFilesDir()` on Android.
 */
export interface FileSystemLike<D = unknown> {
  readonly Paths: { readonly document: D };
  readonly File: new (directory: D, name: string) => RingFile;
}

/** React Native's (or expo-linking's) `Linking`: the URL the app was opened with, and later ones. */
export interface LinkingLike {
  getInitialURL(): Promise<string | null>;
  addEventListener(type: 'url', handler: (event: { url: string }) => void): { remove(): void };
}

/**
 * The app's launch arguments: the raw argv (iOS `NSProcessInfo.arguments` without the executable, or
 * an Android intent extra list), or the map `react-native-launch-arguments`' `LaunchArguments.value()`
 * returns.
 */
export type LaunchArgumentsSource = () => readonly string[] | Readonly<Record<string, unknown>>;
