import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';
import type { ArtifactStore } from './artifact-store';
import { LocalArtifactStore } from './local-store';
import { processCacheDir } from './read-through-cache';
import { S3ArtifactStore } from './s3-store';

/** Where artifacts live, as read from STORAGE_URL (see serviceEnv). */
export type StorageLocation =
  | { kind: 'folder'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      /** Put before every key ('' or ending in '/'). */
      prefix: string;
      /** Unset: AWS itself. MinIO, R2, Ceph RGW, s3rver: their http(s) address. */
      endpoint?: string;
      /** Where browsers reach the store when it differs from `endpoint` (signed URLs name it). */
      publicEndpoint?: string;
      region: string;
      /** Bucket in the path rather than the host name: what MinIO and most self-hosted servers want. */
      pathStyle: boolean;
    };

/**
 * `file:///srv/studioflow/artifacts` or
 * `s3://bucket/optional/prefix?endpoint=http://127.0.0.1:9000&region=us-east-1&pathStyle=true&publicEndpoint=…`.
 * Credentials are never in the URL: the AWS SDK reads them from the standard AWS environment
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role).
 */
export function parseStorageUrl(value: string, env: NodeJS.ProcessEnv = process.env): StorageLocation {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`STORAGE_URL is not a URL: ${value} (file:///folder or s3://bucket?endpoint=…&region=…)`);
  }
  if (url.protocol === 'file:') return { kind: 'folder', dir: fileURLToPath(url) };
  if (url.protocol !== 's3:') throw new Error(`STORAGE_URL must start with file:// or s3://, not ${url.protocol}//`);
  if (!url.hostname) throw new Error('STORAGE_URL names no bucket: s3://<bucket>[/prefix]?…');
  if (url.username || url.password) throw new Error('STORAGE_URL must not carry credentials: use the AWS environment (AWS_ACCESS_KEY_ID, …)');
  const known = new Set(['endpoint', 'publicEndpoint', 'region', 'pathStyle']);
  for (const key of url.searchParams.keys()) if (!known.has(key)) throw new Error(`STORAGE_URL has an unknown setting ${key} (known: ${[...known].join(', ')})`);
  const endpoint = url.searchParams.get('endpoint') ?? undefined;
  const publicEndpoint = url.searchParams.get('publicEndpoint') ?? undefined;
  for (const address of [endpoint, publicEndpoint]) {
    if (address !== undefined && !/^https?:\/\/[^/]/.test(address)) throw new Error(`STORAGE_URL endpoint must be an http(s) address, not ${address}`);
  }
  const pathStyle = url.searchParams.get('pathStyle');
  if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') throw new Error('STORAGE_URL pathStyle must be true or false');
  const prefix = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
  return {
    kind: 's3',
    bucket: url.hostname,
    prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix,
    ...(endpoint ? { endpoint } : {}),
    ...(publicEndpoint ? { publicEndpoint } : {}),
    region: url.searchParams.get('region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // A custom endpoint is most often a self-hosted server, which wants path-style requests.
    pathStyle: pathStyle !== null ? pathStyle === 'true' : endpoint !== undefined,
  };
}

export interface StorageSettings {
  storageUrl: string;
  /** The folder store itself, or for an object store the parent of this process's cache folder. */
  storageDir: string;
  /** The read-through cache's budget per process (object store only). */
  storageCacheBytes: number;
}

/** The one way a process opens its artifact store. */
export function openArtifactStore(settings: StorageSettings): ArtifactStore {
  const location = parseStorageUrl(settings.storageUrl);
  if (location.kind === 'folder') return new LocalArtifactStore(location.dir);
  const client = (endpoint: string | undefined) =>
    new S3Client({ region: location.region, forcePathStyle: location.pathStyle, ...(endpoint ? { endpoint } : {}) });
  return new S3ArtifactStore({
    client: client(location.endpoint),
    ...(location.publicEndpoint ? { presignClient: client(location.publicEndpoint) } : {}),
    bucket: location.bucket,
    prefix: location.prefix,
    cacheDir: processCacheDir(settings.storageDir),
    cacheBytes: settings.storageCacheBytes,
  });
}
