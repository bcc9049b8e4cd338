/**
 * The list+watch contract between an informer and the API. `ResourceClient`
 * implements it over HTTP; tests implement it in memory.
 */
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';

export interface ListOptions {
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Start after this resourceVersion (the list's, or the last event's). */
  resourceVersion: string;
  /** Ask the server to end the watch after this long, so a silently dead connection cannot last forever. */
  timeoutSeconds?: number;
  /** Ask for BOOKMARK events, which advance the resourceVersion without a change. */
  allowWatchBookmarks?: boolean;
  /** Ends the watch like `abort()`. */
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubernetesObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchHandle {
  /**
   * Resolves when the watch ends normally (the server closed it, or `abort`);
   * rejects on a failure. A watch `ERROR` event ends the watch and rejects
   * with its Status code (410 Gone: the informer relists).
   */
  done: Promise<void>;
  abort(): void;
}

export interface ListerWatcher<T extends KubernetesObject> {
  /** A full, consistent list (all pages) with the list's resourceVersion in `metadata`. */
  list(options?: ListOptions): Promise<KubernetesListObject<T>>;
  watch(options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle;
}
