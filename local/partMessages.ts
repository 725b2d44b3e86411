import type { S3EventNotification } from './s3Server.js';

/** What a part of the local stack tells its supervisor over IPC. */
export type PartMessage = { type: 'ready'; url: string } | { type: 's3-event'; event: S3EventNotification };

export function isPartMessage(value: unknown): value is PartMessage {
  const type = (value as { type?: unknown } | null)?.type;
  return type === 'ready' || type === 's3-event';
}
