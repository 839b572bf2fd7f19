/**
 * Local Apache Kafka: single node in KRaft mode (combined broker + controller) on loopback.
 * Jars come from Maven Central through infra/kafka/pom.xml (the only place the version is
 * pinned), resolved once into <cacheDir>/kafka/<version>/libs; storage is formatted once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';
import { createKafka, ensureTopics, platformTopics, withAdmin } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { InfraError } from './errors.ts';
import { installLogOf, sourceFiles, type InfraPaths } from './paths.ts';
import type { LaunchSpec } from './process.ts';
import type { InfraContext, LocalService } from './service.ts';
import { renderTemplate } from './template.ts';
import { commandOutput, requireExecutable, runLogged } from './tools.ts';

/** Kafka 4 brokers need Java 17 or newer. */
export const MIN_JAVA_MAJOR = 17;

export function kafkaVersionFromPom(pomXml: string): string {
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pomXml);
  if (!m?.[1]) throw new InfraError('infra/kafka/pom.xml has no <kafka.version> property');
  return m[1];
}

/** The major version in `java -version` output ("1.8.0_402" → 8, "17.0.15" → 17), or null. */
export function parseJavaMajor(versionOutput: string): number | null {
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (!m?.[1]) return null;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}

export interface KafkaLayout {
  readonly version: string;
  readonly libsDir: string;
  /** Written into libsDir after a complete resolution: the sha256 of the pom it came from. */
  readonly stampFile: string;
}

export function kafkaLayout(paths: InfraPaths, version: string): KafkaLayout {
  const libsDir = join(paths.kafkaDir, version, 'libs');
  return { version, libsDir, stampFile: join(libsDir, '.ami-resolved') };
}

export function renderServerProperties(
  template: string,
  v: { readonly port: number; readonly controllerPort: number; readonly dataDir: string },
): string {
  return renderTemplate(template, {
    PORT: String(v.port),
    CONTROLLER_PORT: String(v.controllerPort),
    DATA_DIR: v.dataDir,
  });
}

/** JVM arguments of a Kafka main class with the resolved jars on the classpath. */
export function kafkaJavaArgs(libsDir: string, mainClass: string, args: readonly string[]): string[] {
  return [
    `-Dlog4j2.configurationFile=${sourceFiles.kafkaLog4j}`,
    '-cp',
    join(libsDir, '*'),
    mainClass,
    ...args,
  ];
}

export function kafkaBrokerArgs(libsDir: string, serverProperties: string): string[] {
  return [
    '-Xms256m',
    '-Xmx1g',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    ...kafkaJavaArgs(libsDir, 'kafka.Kafka', [serverProperties]),
  ];
}

async function requireJava(): Promise<string> {
  const java = requireExecutable(
    'java',
    `install a Java ${MIN_JAVA_MAJOR}+ runtime (e.g. apt-get install openjdk-17-jre-headless)`,
  );
  const major = parseJavaMajor(await commandOutput(java, ['-version']));
  if (major === null || major < MIN_JAVA_MAJOR) {
    throw new InfraError(
      `Kafka needs Java ${MIN_JAVA_MAJOR} or newer; \`java -version\` reports ${major ?? 'an unknown version'}`,
    );
  }
  return java;
}

/** Resolves the jars with Maven unless the libs dir already holds this pom's resolution. */
async function ensureJars(ctx: InfraContext, pom: string, layout: KafkaLayout): Promise<void> {
  const pomHash = createHash('sha256').update(pom).digest('hex');
  if (existsSync(layout.stampFile) && readFileSync(layout.stampFile, 'utf8').trim() === pomHash) return;
  const mvn = requireExecutable(
    'mvn',
    'install Apache Maven 3.6+ (e.g. apt-get install maven) to fetch the Kafka jars',
  );
  ctx.log(`resolving Kafka ${layout.version} jars from Maven Central into ${layout.libsDir}`);
  const staging = `${layout.libsDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(ctx.paths.mavenRepo, { recursive: true });
  await runLogged(
    mvn,
    [
      '-q',
      '-B',
      '-f',
      sourceFiles.kafkaPom,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${staging}`,
      '-DincludeScope=runtime',
      `-Dmaven.repo.local=${ctx.paths.mavenRepo}`,
    ],
    { logFile: installLogOf(ctx.paths, 'kafka'), what: 'resolving the Kafka jars with Maven' },
  );
  writeFileSync(join(staging, '.ami-resolved'), `${pomHash}\n`);
  rmSync(layout.libsDir, { recursive: true, force: true });
  mkdirSync(join(layout.libsDir, '..'), { recursive: true });
  renameSync(staging, layout.libsDir);
}

/** Formats the KRaft storage once (meta.properties marks a formatted log dir). */
async function ensureFormatted(ctx: InfraContext, java: string, layout: KafkaLayout): Promise<void> {
  if (existsSync(join(ctx.paths.kafkaDataDir, 'meta.properties'))) return;
  ctx.log(`formatting KRaft storage in ${ctx.paths.kafkaDataDir}`);
  const logFile = installLogOf(ctx.paths, 'kafka');
  const clusterId = kafkaClusterId();
  await runLogged(
    java,
    kafkaJavaArgs(layout.libsDir, 'kafka.tools.StorageTool', [
      'format',
      '-t',
      clusterId,
      '-c',
      ctx.paths.kafkaServerProperties,
    ]),
    { logFile, what: 'formatting the Kafka storage' },
  );
}

/**
 * A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (what
 * `kafka-storage.sh random-uuid` prints); like Kafka we avoid ids starting with '-'.
 */
export function kafkaClusterId(bytes: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = bytes().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/**
 * An admin client for probes: a short connect timeout, no retries, so a stopped broker answers
 * "no" in about a second (the platform's clients retry for several seconds).
 */
function probeAdmin(config: AmiConfig): Admin {
  return new Admin({
    clientId: `${config.runtime.kafkaClientId}-infra`,
    bootstrapBrokers: [...config.connection.kafkaBrokers],
    connectTimeout: 1_000,
    timeout: 5_000,
    retries: 0,
  });
}

/** True when the broker answers a metadata request that lists at least one broker. */
async function canFetchMetadata(config: AmiConfig): Promise<boolean> {
  const admin = probeAdmin(config);
  try {
    const meta = await admin.metadata({ topics: [], forceUpdate: true });
    return meta.brokers.size > 0;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function provisionTopics(ctx: InfraContext): Promise<string> {
  const topics = platformTopics(ctx.config);
  const kafka = createKafka(ctx.config, { component: 'infra' });
  const created = await ensureTopics(kafka, topics);
  await withAdmin(kafka, async (admin) => {
    const meta = await admin.metadata({ topics: topics.map((t) => t.topic), forceUpdate: true });
    for (const t of topics) {
      const have = meta.topics.get(t.topic)?.partitionsCount;
      if (have !== undefined && have !== t.numPartitions) {
        ctx.log(
          `warning: topic ${t.topic} has ${have} partitions, configuration says ${t.numPartitions} (left as is)`,
        );
      }
    }
  });
  return created.length > 0
    ? `${topics.length} topics (created ${created.join(', ')})`
    : `${topics.length} topics`;
}

export const kafkaService: LocalService = {
  name: 'kafka',
  address: (ctx) => ctx.config.connection.kafkaBrokers.join(','),
  ports: (ctx) => [ctx.config.ports.kafkaPort, ctx.config.ports.kafkaControllerPort],
  markers: (ctx) => ['kafka.Kafka', ctx.paths.kafkaServerProperties],
  async prepare(ctx): Promise<LaunchSpec> {
    const pom = readFileSync(sourceFiles.kafkaPom, 'utf8');
    const layout = kafkaLayout(ctx.paths, kafkaVersionFromPom(pom));
    const java = await requireJava();
    await ensureJars(ctx, pom, layout);
    mkdirSync(ctx.paths.kafkaDataDir, { recursive: true });
    writeFileSync(
      ctx.paths.kafkaServerProperties,
      renderServerProperties(readFileSync(sourceFiles.kafkaServerTemplate, 'utf8'), {
        port: ctx.config.ports.kafkaPort,
        controllerPort: ctx.config.ports.kafkaControllerPort,
        dataDir: ctx.paths.kafkaDataDir,
      }),
    );
    await ensureFormatted(ctx, java, layout);
    return {
      command: java,
      args: kafkaBrokerArgs(layout.libsDir, ctx.paths.kafkaServerProperties),
      cwd: ctx.paths.kafkaDir,
    };
  },
  isHealthy: (ctx) => canFetchMetadata(ctx.config),
  isReachable: (ctx) => canFetchMetadata(ctx.config),
  provision: provisionTopics,
  startTimeoutMs: 120_000,
  stopGraceMs: 30_000,
};
