// Minimal declarations for the parts of s3rver (CommonJS, untyped) that lib/local uses.
declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    serviceEndpoint?: string;
  }

  class S3rver extends EventEmitter {
    constructor(options?: S3rverOptions);
    /** Koa request listener, to mount on an http.Server of our own. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    logger: { close(): void };
  }
  export default S3rver;
}
