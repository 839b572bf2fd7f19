// The pure parts of the local Redis Cluster: ports, CLUSTER INFO parsing and the node's view of
// the cluster, the node command line, and the `infra cluster` arguments.
import { describe, expect, it } from 'vitest';
import { UsageError } from '../local/errors.ts';
import { infraPaths } from '../local/paths.ts';
import {
  clusterNodeArgs,
  nodeClusterView,
  parseClusterInfo,
  parseRedisClusterArgs,
  redisClusterNodesValue,
  redisClusterPaths,
  redisClusterPorts,
} from '../local/redis-cluster.ts';

const INFO_OK = [
  'cluster_state:ok',
  'cluster_slots_assigned:16384',
  'cluster_slots_ok:16384',
  'cluster_known_nodes:3',
  'cluster_size:3',
  '',
].join('\r\n');

describe('local Redis Cluster', () => {
  it('uses three consecutive ports and names them for REDIS_CLUSTER_NODES', () => {
    expect(redisClusterPorts(7001)).toEqual([7001, 7002, 7003]);
    expect(redisClusterNodesValue([7001, 7002, 7003])).toBe('127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003');
  });

  it("reads a node's view of the cluster from CLUSTER INFO", () => {
    const ok = parseClusterInfo(INFO_OK);
    expect(ok.cluster_state).toBe('ok');
    expect(nodeClusterView(ok)).toBe('ok');
    expect(
      nodeClusterView(
        parseClusterInfo('cluster_state:fail\ncluster_slots_assigned:0\ncluster_known_nodes:1'),
      ),
    ).toBe('fresh');
    // Restarted nodes that know each other but have not agreed yet, or a cluster missing slots.
    expect(
      nodeClusterView(
        parseClusterInfo('cluster_state:fail\ncluster_slots_assigned:16384\ncluster_known_nodes:3'),
      ),
    ).toBe('forming');
    expect(
      nodeClusterView(
        parseClusterInfo('cluster_state:ok\ncluster_slots_assigned:10000\ncluster_known_nodes:3'),
      ),
    ).toBe('forming');
  });

  it('starts each node in cluster mode with its own data dir, pid file and log under the cache dir', () => {
    const paths = redisClusterPaths(infraPaths('/c'), [7001, 7002, 7003]);
    const node = paths.nodes[1]!;
    expect(node).toEqual({
      port: 7002,
      dataDir: '/c/redis-cluster/7002',
      pidFile: '/c/run/redis-cluster-7002.pid',
      logFile: '/c/logs/redis-cluster-7002.log',
    });
    const args = clusterNodeArgs(node, '/conf/redis.conf');
    expect(args[0]).toBe('/conf/redis.conf');
    for (const [flag, value] of [
      ['--port', '7002'],
      ['--dir', '/c/redis-cluster/7002'],
      ['--cluster-enabled', 'yes'],
      ['--cluster-config-file', 'nodes.conf'],
    ] as const)
      expect(args[args.indexOf(flag) + 1]).toBe(value);
  });

  it('parses `infra cluster` arguments', () => {
    expect(parseRedisClusterArgs(['up'])).toEqual({ kind: 'up' });
    expect(parseRedisClusterArgs(['down', '--reset'])).toEqual({ kind: 'down', reset: true });
    expect(parseRedisClusterArgs(['status', '--json'])).toEqual({ kind: 'status', json: true });
    expect(parseRedisClusterArgs([])).toEqual({ kind: 'help' });
    expect(() => parseRedisClusterArgs(['start'])).toThrow(UsageError);
    expect(() => parseRedisClusterArgs(['up', '--reset'])).toThrow(UsageError);
  });
});
