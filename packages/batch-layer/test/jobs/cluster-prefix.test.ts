// The BullMQ key prefix in Redis Cluster mode: a hash tag keeps every key of the queue in one slot.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@ami/shared/config';
import { hasHashTag, loadBatchJobSettings, parseQueuePrefix } from '../../src/jobs/settings.ts';

const CLUSTER = { REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003' };

describe('AMI_BATCH_KEY_PREFIX', () => {
  it('accepts plain prefixes and one hash tag, nothing else', () => {
    for (const ok of ['bull', '{bull}', 'ami{batch}', '{ami-batch}x']) expect(parseQueuePrefix(ok)).toBe(ok);
    for (const bad of ['', 'a:b', '{}', '{a}{b}', '{a', 'a}', 'a b'])
      expect(() => parseQueuePrefix(bad)).toThrow();
    expect(hasHashTag('{bull}')).toBe(true);
    expect(hasHashTag('bull')).toBe(false);
  });

  it('defaults to bull on one Redis and to {bull} on a cluster', () => {
    expect(loadBatchJobSettings({}).keyPrefix).toBe('bull');
    expect(loadBatchJobSettings(CLUSTER).keyPrefix).toBe('{bull}');
  });

  it('is refused on a cluster without a hash tag', () => {
    expect(loadBatchJobSettings({ ...CLUSTER, AMI_BATCH_KEY_PREFIX: '{x-bull}' }).keyPrefix).toBe('{x-bull}');
    let err: unknown;
    try {
      loadBatchJobSettings({ ...CLUSTER, AMI_BATCH_KEY_PREFIX: 'x-bull' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.env)).toEqual(['AMI_BATCH_KEY_PREFIX']);
  });
});
