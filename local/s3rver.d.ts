// Minimal typing for s3rver 3.7 (it ships none): the parts local/s3Server.ts uses.
declare module 's3rver' {
  import type { Server } from 'node:http';
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
  }
  interface KoaContext {
    method: string;
    path: string;
    querystring: string;
    query: Record<string, string | string[] | undefined>;
    get(header: string): string;
    status: number;
    type: string;
    body: unknown;
    res: import('node:http').ServerResponse;
  }
  type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void> | void;
  interface ListResult {
    objects: { key: string }[];
    commonPrefixes: string[];
    isTruncated: boolean;
  }
  interface StoredObject {
    bucket: string;
    key: string;
    content: import('node:stream').Readable | Buffer;
    metadata: Record<string, string>;
  }
  interface S3ObjectInstance {
    range?: { start: number; end: number };
  }
  export type S3ObjectConstructor = new (
    bucket: string,
    key: string,
    content: import('node:stream').Readable | null,
    metadata: Record<string, string | number>,
  ) => S3ObjectInstance;
  interface Store {
    getResourcePath(bucket: string, key: string, resource: string): string;
    getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
    putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
    getObject(
      bucket: string,
      key: string,
      options?: { start?: number; end?: number },
    ): Promise<S3ObjectInstance | null>;
    listObjects(
      bucket: string,
      options: { delimiter?: string; startAfter?: string; prefix?: string; maxKeys?: number },
    ): Promise<ListResult>;
    existsObject(bucket: string, key: string): Promise<boolean>;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    middleware: Middleware[];
    store: Store;
    httpServer?: Server;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
    on(event: 'event', listener: (event: { Records: unknown[] }) => void): this;
  }
}
