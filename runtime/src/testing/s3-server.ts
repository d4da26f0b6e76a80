import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** A loopback S3-protocol server (s3rver) with one bucket, for tests and the bench. */
export interface TestS3Server {
  endpoint: string;
  bucket: string;
  /** STORAGE_URL for this server's bucket, optionally under a key prefix. */
  storageUrl(prefix?: string): string;
  /** The standard AWS credentials s3rver accepts, for a child process's environment. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** s3rver's fixed credentials. */
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };

/** Starts s3rver on 127.0.0.1 (`port` 0: any free one), its data in a fresh temp folder removed on close. */
export async function startTestS3Server(options: { port?: number; bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? 'studioflow-test';
  const directory = await mkdtemp(join(tmpdir(), 'sf-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: options.port ?? 0, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  // The SDK in this process reads the same standard variables a child process gets.
  Object.assign(process.env, CREDENTIALS);
  return {
    endpoint,
    bucket,
    storageUrl: (prefix = '') => `s3://${bucket}/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`,
    env: { ...CREDENTIALS, AWS_REGION: 'us-east-1' },
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
