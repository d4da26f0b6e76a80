import { createHash } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { PermanentNodeError } from '@studioflow/runtime/contract';

/**
 * Optional upload of delivered files to an S3-compatible bucket, configured by environment:
 * STUDIOFLOW_S3_BUCKET (turns it on), STUDIOFLOW_S3_ENDPOINT (MinIO, R2, ...; path-style then),
 * STUDIOFLOW_S3_REGION (us-east-1), STUDIOFLOW_S3_PREFIX (deliveries/), and
 * STUDIOFLOW_S3_ACCESS_KEY_ID + STUDIOFLOW_S3_SECRET_ACCESS_KEY (else the AWS default chain).
 * Keys are the sha256 of the bytes, so a retried job overwrites with identical content.
 */
export interface S3Target {
  bucket: string;
  endpoint?: string;
  region: string;
  prefix: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function s3Target(): S3Target | null {
  const bucket = process.env.STUDIOFLOW_S3_BUCKET?.trim();
  if (!bucket) return null;
  const accessKeyId = process.env.STUDIOFLOW_S3_ACCESS_KEY_ID, secretAccessKey = process.env.STUDIOFLOW_S3_SECRET_ACCESS_KEY;
  return {
    bucket,
    endpoint: process.env.STUDIOFLOW_S3_ENDPOINT?.trim() || undefined,
    region: process.env.STUDIOFLOW_S3_REGION?.trim() || 'us-east-1',
    prefix: process.env.STUDIOFLOW_S3_PREFIX ?? 'deliveries/',
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
}

/** One client per configuration per process (it keeps HTTP connections alive). */
const clients = new Map<string, Promise<S3Client>>();

function clientFor(t: S3Target): Promise<S3Client> {
  const key = JSON.stringify([t.endpoint, t.region, t.credentials?.accessKeyId, t.credentials?.secretAccessKey]);
  let client = clients.get(key);
  if (!client) {
    // Loaded on first use: most hosts never deliver to S3.
    client = import('@aws-sdk/client-s3').then(({ S3Client }) =>
      new S3Client({
        region: t.region,
        endpoint: t.endpoint,
        forcePathStyle: !!t.endpoint,
        credentials: t.credentials,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        maxAttempts: 2,
      }));
    clients.set(key, client);
  }
  return client;
}

export interface UploadedObject {
  key: string;
  bytes: number;
  etag?: string;
}

/** Uploads one file; 4xx answers (no such bucket, access denied) are permanent, the rest retryable. */
export async function putDelivery(t: S3Target, bytes: Buffer, extension: string, contentType: string, metadata: Record<string, string>): Promise<UploadedObject> {
  const sha256 = createHash('sha256').update(bytes).digest();
  const key = `${t.prefix}${sha256.toString('hex')}.${extension}`;
  const [client, { PutObjectCommand }] = await Promise.all([clientFor(t), import('@aws-sdk/client-s3')]);
  try {
    const out = await client.send(new PutObjectCommand({
      Bucket: t.bucket,
      Key: key,
      Body: bytes,
      ContentType: contentType,
      ContentLength: bytes.length,
      ChecksumSHA256: sha256.toString('base64'),
      Metadata: metadata,
    }));
    return { key, bytes: bytes.length, etag: out.ETag };
  } catch (err) {
    const e = err as Error & { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const what = `uploading ${key} to s3://${t.bucket}${t.endpoint ? ` at ${t.endpoint}` : ''} failed: ${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''} ${e.message}`;
    if (status && status >= 400 && status < 500 && status !== 408 && status !== 429) throw new PermanentNodeError(what);
    throw new Error(what);
  }
}
