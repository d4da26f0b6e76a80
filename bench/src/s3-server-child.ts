/**
 * The storage bench's S3-protocol server (s3rver) in a process of its own, so its request handling
 * does not share the measuring process's event loop. Prints `{ endpoint, storageUrl }` once listening.
 */
import { startTestS3Server } from '@studioflow/runtime/testing';

async function main(): Promise<void> {
  const s3 = await startTestS3Server({ bucket: 'studioflow-bench' });
  process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint, storageUrl: s3.storageUrl(), env: s3.env })}\n`);
  const stop = () => void s3.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
