import { z } from 'zod';

/** The parts of an S3 notification the ingest function reads (validated, not trusted). */
export const S3EventSchema = z.object({
  Records: z
    .array(
      z.object({
        eventName: z.string().regex(/^Object(Created|Removed):/, 'only ObjectCreated/ObjectRemoved events'),
        s3: z.object({
          bucket: z.object({ name: z.string().min(1) }),
          object: z.object({
            key: z.string().min(1),
            size: z.number().optional(),
            eTag: z.string().optional(),
            sequencer: z.string().optional(),
          }),
        }),
      }),
    )
    .min(1),
});
/** An S3 notification as S3 sends it to Lambda (keys URL-encoded); the local S3 server sends the same shape. */
export type S3EventNotification = z.infer<typeof S3EventSchema>;

/** S3 notifications carry keys URL-encoded with '+' for spaces: "my+file%2B1.txt" is "my file+1.txt". */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** The bucket and (still URL-encoded) key of each record. */
export function documentKeysOf(notification: S3EventNotification): { bucket: string; rawKey: string }[] {
  return notification.Records.map((r) => ({ bucket: r.s3.bucket.name, rawKey: r.s3.object.key }));
}

/** S3 sends `{"Event": "s3:TestEvent", …}` once when a notification to a queue is configured: nothing to ingest. */
export function isS3TestEvent(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { Event?: unknown }).Event === 's3:TestEvent';
}
