import type { S3Client, _Object } from '@aws-sdk/client-s3';
import type { StoreSettings } from '../../config/load';
import type { ObjectStore } from './index';

/**
 * The SDK is loaded when a store is first used rather than at start: it is a large part of a
 * worker's memory, and a worker without OUTPUT_URL=s3://… never needs it.
 */
const sdk = (): Promise<typeof import('@aws-sdk/client-s3')> => import('@aws-sdk/client-s3');

/**
 * The store as an S3-compatible bucket through the official AWS SDK: AWS S3, MinIO, SeaweedFS,
 * Aliyun OSS, Tencent COS, Cloudflare R2 (S3_ENDPOINT, and S3_FORCE_PATH_STYLE where the
 * store has no virtual-host buckets). A PUT replaces an object atomically.
 */
export class S3Store implements ObjectStore {
  readonly url: string;
  private created: Promise<S3Client> | undefined;

  constructor(
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly s3: StoreSettings['s3'],
  ) {
    this.url = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
  }

  private client(): Promise<S3Client> {
    const s3 = this.s3;
    this.created ??= sdk().then(({ S3Client }) => new S3Client({
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.forcePathStyle,
      credentials: s3.accessKeyId && s3.secretAccessKey ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } : undefined,
      // Only checksums every S3-compatible store understands.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }));
    return this.created;
  }

  private keyOf(key: string): string {
    return this.prefix ? `${this.prefix}/${key}` : key;
  }

  location(key: string): string {
    return `${this.url}/${key}`;
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    const { PutObjectCommand } = await sdk();
    await (await this.client()).send(new PutObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key), Body: typeof body === 'string' ? Buffer.from(body) : body }));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const { GetObjectCommand } = await sdk();
    try {
      const response = await (await this.client()).send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }));
      const bytes = await response.Body?.transformToByteArray();
      return bytes ? Buffer.from(bytes) : Buffer.alloc(0);
    } catch (error) {
      if ((error as { name?: string }).name === 'NoSuchKey' || (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    }
  }

  private async objects(prefix: string): Promise<_Object[]> {
    const { ListObjectsV2Command } = await sdk();
    const client = await this.client();
    const all: _Object[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${this.keyOf(prefix)}/`, ContinuationToken: token }));
      all.push(...(page.Contents ?? []));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return all;
  }

  async list(prefix: string): Promise<{ key: string; size: number }[]> {
    const strip = this.prefix ? this.prefix.length + 1 : 0;
    return (await this.objects(prefix))
      .filter((object) => object.Key !== undefined)
      .map((object) => ({ key: (object.Key ?? '').slice(strip), size: object.Size ?? 0 }))
      .sort((a, b) => a.key.localeCompare(b.key));
  }

  async removeAll(prefix: string): Promise<void> {
    const { DeleteObjectsCommand } = await sdk();
    const client = await this.client();
    const keys = (await this.objects(prefix)).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
    for (let start = 0; start < keys.length; start += 1000) {
      await client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(start, start + 1000), Quiet: true } }));
    }
  }

  async link(key: string, expiresInSeconds: number): Promise<string> {
    const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([sdk(), import('@aws-sdk/s3-request-presigner')]);
    return getSignedUrl(await this.client(), new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(key) }), { expiresIn: expiresInSeconds });
  }

  close(): void {
    void this.created?.then((client) => client.destroy()).catch(() => undefined);
  }
}
