import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readCloudAssembly, resourcesOfType, type StackArtifact } from './cloud-assembly';
import {
  EMULATOR_VENV,
  embeddedEmulatorInstalled,
  installEmbeddedEmulator,
  LocalPlatformError,
  startEmulator,
  type Emulator,
} from './emulator';
import { resolveValue, type ResolutionContext } from './intrinsics';
import { AppLinks, appKey, emulatorParameter, orderStacks, readAppRestApi } from './app-stacks';
import { InvokePermissions, ResourcePolicies } from './invoke-permissions';
import { LocalLambdaApi } from './lambda-api';
import { LocalFunction } from './lambda-runtime';
import { LocalGateway } from './local-gateway';
import { LocalFirewall, readFirewallRules } from './gateway-firewall';
import { DEFAULT_KEPT_LOG_RUNS, rotateLogDir } from './log-rotation';
import { LOCAL_OPENSEARCH_HOST, nameResources } from './physical-names';
import { phase, type ProgressListener } from './progress';
import { provisionStack, type ProvisionedResource } from './provision';
import { createDemoClients } from './demo-clients';
import { createDemoOperators, type PlatformOperator } from './demo-operators';
import { LocalRequestAuthorizer } from './request-authorizer';
import { LocalAppConfigDataApi } from './appconfig-data-api';
import { startSchedules } from './schedules';
import { nameMessagingResources, provisionMessaging, startLocalMessaging } from './messaging';
import {
  acquireStateLock,
  displayPath,
  stateLockHolder,
  StateDirInUseError,
  type StateLock,
} from './state-lock';
import { runTriggers } from './triggers';
import { type CdkApp, synthesizeApp } from './synth-app';
import { appSourceStamp, clearSynthStamp, synthIsCurrent, writeSynthStamp } from './synth-stamp';
import { PACKAGE_ROOT } from './package-paths';
import { CentralLogs, platformNameOf } from './observability/central-logs';
import { startPlatformTracing } from './tracing/platform-tracing';
import { freePort } from './ports';
import { CONSOLE_ENV } from '../../functions/runtime/contract/console';
import { ADMIN_ENV } from '../../functions/runtime/contract/admin-routes';
import type { LocalTracing } from './tracing/local-tracing';

/** The package's root (this repository, or the installed package). */
export const PROJECT_ROOT = PACKAGE_ROOT;

export interface LocalPlatformOptions {
  /**
   * Gateway port on 127.0.0.1; 0 picks a free one.
   * @default 3000
   */
  readonly port?: number;
  /**
   * A synthesized cloud assembly to run.
   * @default - synthesizes the app of cdk.json into `.local/cdk.out`
   */
  readonly cloudAssemblyDir?: string;
  /**
   * The CDK app to synthesize (see `readCdkApp`): run directly, as the CDK CLI runs it.
   * @default - `cdk synth` of this repository's cdk.json with its pinned CLI
   */
  readonly app?: CdkApp;
  /** @default - AWS_ENDPOINT_URL, else an embedded moto server */
  readonly awsEndpoint?: string;
  /** @default - AWS_REGION, else 'us-east-1' */
  readonly region?: string;
  /**
   * Echo every function's log lines to the console.
   * @default true
   */
  readonly echoLogs?: boolean;
  /**
   * Folder for logs, the synthesized app and platform.json. One running platform holds it at a
   * time (`platform.lock`); a second start on it is refused before anything in it changes.
   * @default '<project>/.local'
   */
  readonly stateDir?: string;
  /**
   * How many earlier runs' log folders to keep (`logs.1` is the last run's).
   * @default 5
   */
  readonly keepLogRuns?: number;
  /**
   * Told when each start-up phase ends, with its duration.
   * @default - nothing is reported
   */
  readonly onProgress?: ProgressListener;
  /**
   * Run a local OpenSearch node fed by the log shipper (needs Java 17+; Maven to build it once).
   * @default true
   */
  readonly centralLogs?: boolean;
}

export interface PlatformClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: string[];
}

export interface RunningPlatform {
  readonly baseUrl: string;
  readonly awsEndpoint: string;
  readonly lambdaEndpoint: string;
  readonly region: string;
  readonly stage: string;
  readonly logDir: string;
  /** The local OpenSearch node holding every function's logs; undefined when left out. */
  readonly openSearchUrl?: string;
  /** The local Zipkin (UI at `/zipkin/`); undefined when tracing was left out. */
  readonly zipkinUrl?: string;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly provisioned: readonly ProvisionedResource[];
  stop(): Promise<void>;
}

/**
 * The access key ID that signs as the local operator: invoking any function through the local
 * Lambda API (e.g. the health control loop on demand). Functions sign with keys of their own.
 */
export const LOCAL_OPERATOR_ACCESS_KEY_ID = 'local-operator';

/**
 * Local Node 20 runs the bundles that deploy on nodejs22.x; the AWS SDK's notice that its
 * releases from 2027 need Node 22 would otherwise print once per worker. This is the SDK's own
 * switch (`@aws-sdk/core` reads it before warning).
 */
export const QUIET_SDK = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } as const;

/** The accounts IDs emulators use for their default credentials. */
const LOCAL_ACCOUNT_ID = '123456789012';

/**
 * Boots the whole platform on this machine: synthesizes the app, starts (or joins) the AWS
 * emulator, creates the template's stateful resources in it, runs every function in worker
 * threads behind a local Lambda API, and serves the REST API on 127.0.0.1.
 *
 * What it needs is checked before anything is touched: first the port, then the state folder's
 * lock; only the lock's holder rotates the logs, synthesizes into the folder and writes
 * platform.json, so a second start beside a running one changes nothing of it.
 */
export async function startLocalPlatform(
  options: LocalPlatformOptions = {},
): Promise<RunningPlatform> {
  const stateDir = options.stateDir ?? path.join(PROJECT_ROOT, '.local');
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const port = options.port ?? 3000;
  const progress = options.onProgress;
  const logDir = path.join(stateDir, 'logs');
  const platformFile = path.join(stateDir, 'platform.json');

  // The gateway listens first: a taken port fails before anything else is done, and functions
  // learn its URL.
  const gateway = new LocalGateway();
  const baseUrl = await gateway.listen(port).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EADDRINUSE') throw error;
    // Most often the platform of this very state folder holds the port: say so.
    const holder = stateLockHolder(stateDir);
    if (holder) throw new StateDirInUseError(stateDir, holder, true);
    throw new LocalPlatformError(
      `Port ${port} is already in use; set PORT to another port (PORT=0 picks a free one)`,
    );
  });

  const stoppers: (() => Promise<void>)[] = [() => gateway.close()];
  let lock: StateLock | undefined;
  const stop = async () => {
    for (const stopper of stoppers.splice(0).reverse()) await stopper().catch(() => undefined);
    // platform.json describes a running platform: it goes with the lock that owns it.
    if (lock) rmSync(platformFile, { force: true });
    lock?.release();
    lock = undefined;
  };
  try {
    await phase(
      progress,
      'state',
      () => {
        mkdirSync(stateDir, { recursive: true });
        lock = acquireStateLock(stateDir, { baseUrl });
        return rotateLogDir(logDir, options.keepLogRuns ?? DEFAULT_KEPT_LOG_RUNS);
      },
      (previous) =>
        `${displayPath(stateDir)} locked${previous ? `; last run's logs moved to ${displayPath(previous)}` : ''}`,
    );

    // OpenSearch (a JVM) starts now, beside the phases below; lines logged before it is ready wait.
    const centralLogs = new CentralLogs({
      home: path.join(stateDir, 'opensearch'),
      logDir,
      enabled: options.centralLogs,
      onProgress: progress,
      // Taken now: the admin function, started before the node is ready, searches it.
      port: await freePort(),
    });
    stoppers.push(() => centralLogs.stop());

    // Zipkin (a JVM) and the emulator start now, beside the synth: neither depends on the app.
    // Zipkin's port is taken now, so the console's function can be told where traces will show.
    const tracing = startPlatformTracing({
      logDir,
      onProgress: progress,
      zipkinPort: await freePort(),
    });
    stoppers.push(() => tracing.stop());

    const endpoint = options.awsEndpoint ?? process.env.AWS_ENDPOINT_URL;
    if (!endpoint && !embeddedEmulatorInstalled()) {
      await phase(
        progress,
        'emulator setup',
        installEmbeddedEmulator,
        () => `moto installed in ${displayPath(EMULATOR_VENV)}`,
      );
    }
    const emulatorStarted = phase(
      progress,
      'emulator',
      () => startEmulator({ endpoint }),
      (started) =>
        `${started.owned ? 'moto' : 'AWS_ENDPOINT_URL'} at ${started.endpoint} (beside the synth)`,
    ).then((started) => {
      stoppers.push(() => started.stop());
      return started;
    });
    const synthesized = phase(
      progress,
      'synth',
      () => synthesizeOrReuse(options, stateDir),
      ({ assemblyDir: dir, stacks: found, how }) =>
        how === 'given'
          ? `skipped, running ${displayPath(dir)}`
          : `${how === 'reused' ? 'reused (app unchanged since the last synth): ' : ''}${plural(found.length, 'stack')} in ${displayPath(dir)}`,
    );
    // Both settle before a failure is thrown, so a started emulator is stopped with the rest.
    const [synthOutcome, emulatorOutcome] = await Promise.allSettled([
      synthesized,
      emulatorStarted,
    ]);
    if (synthOutcome.status === 'rejected') throw synthOutcome.reason;
    if (emulatorOutcome.status === 'rejected') throw emulatorOutcome.reason;
    const { assemblyDir, stacks } = synthOutcome.value;
    const emulator: Emulator = emulatorOutcome.value;
    if (stacks.length === 0) throw new LocalPlatformError(`No stack in ${assemblyDir}`);
    const clientSettings = {
      endpoint: emulator.endpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };

    const functionsByName = new Map<string, LocalFunction>();
    const callers = new Map<
      string,
      { roleLogicalId?: string; roleArn?: string; permissions: InvokePermissions }
    >();
    // Grants in a function's own resource policy, from any stack (a service lets the platform's
    // health loop probe it that way).
    const resourcePolicies = new ResourcePolicies();
    const lambdaApi = new LocalLambdaApi(functionsByName, (accessKeyId, target) => {
      // The operator (you, with the CLI or an SDK) may invoke any function, as an admin could.
      if (accessKeyId === LOCAL_OPERATOR_ACCESS_KEY_ID) return true;
      const caller = callers.get(accessKeyId ?? '');
      return (
        caller !== undefined &&
        (caller.permissions.mayInvoke(caller.roleLogicalId, target.definition.arn) ||
          resourcePolicies.allows(caller.roleArn, target.definition.arn))
      );
    });
    const lambdaEndpoint = await lambdaApi.listen(0);
    stoppers.push(() => lambdaApi.close());
    // AppConfig's data plane is not in the emulator: a stand-in serves it from the stored versions.
    const appConfigData = new LocalAppConfigDataApi(clientSettings);
    const appConfigDataEndpoint = await appConfigData.listen();
    stoppers.push(() => appConfigData.close());

    const provisioned: ProvisionedResource[] = [];
    const deployed = await phase(
      progress,
      'provisioning',
      async () => {
        const contexts: { stack: StackArtifact; context: ResolutionContext }[] = [];
        // Every stack of the app, in deployment order; what earlier stacks publish (SSM
        // parameters, exports) resolves the look-ups and imports of later ones.
        const links = new AppLinks();
        for (const stack of orderStacks(stacks)) {
          const context = nameResources(stack, { region, accountId: LOCAL_ACCOUNT_ID });
          nameMessagingResources(stack, context);
          await links.link(stack, context, (name) => emulatorParameter(name, clientSettings));
          // Buses, queues and rules first: parameters and functions name them.
          provisioned.push(...(await provisionMessaging(stack, context, clientSettings)));
          provisioned.push(...(await provisionStack(stack, context, clientSettings)));
          links.record(stack, context);
          resourcePolicies.add(stack, context);
          contexts.push({ stack, context });
        }
        return contexts;
      },
      () => plural(provisioned.length, 'resource'),
    );

    // One REST API, with the routes of every stack mounted on it; what the deployed functions
    // know as its URL is the gateway's.
    const served = readAppRestApi(deployed);
    if (!served) throw new LocalPlatformError('The app declares no REST API to serve');
    const { api, stackIndex: servedStack } = served;
    const apiUrls = executeApiUrls(deployed[servedStack].context, api.logicalId, api.stageName);

    const functionsByStack = await phase(
      progress,
      'functions',
      async () => {
        const byStack: Map<string, LocalFunction>[] = [];
        for (const { stack, context } of deployed) {
          const permissions = new InvokePermissions(stack, context);
          const functionsByLogicalId = new Map<string, LocalFunction>();
          for (const [logicalId, resource] of resourcesOfType(
            stack.template,
            'AWS::Lambda::Function',
          )) {
            const local = localFunction(stack, logicalId, context, {
              emulatorEndpoint: emulator.endpoint,
              lambdaEndpoint,
              appConfigDataEndpoint,
              logDir,
              echo: options.echoLogs ?? true,
              tracing: tracing.collector,
              zipkinUrl: tracing.plannedZipkinUrl,
              logSearchUrl: centralLogs.plannedUrl,
              rewrite: (value) => {
                const local = apiUrls.reduce((text, url) => text.split(url).join(baseUrl), value);
                // The platform's log domain is this run's OpenSearch node, when there is one.
                return centralLogs.plannedUrl
                  ? local.split(`https://${LOCAL_OPENSEARCH_HOST}`).join(centralLogs.plannedUrl)
                  : local;
              },
            });
            if (!local) continue;
            functionsByLogicalId.set(logicalId, local);
            functionsByName.set(local.definition.functionName, local);
            local.onLogLine = (line) =>
              centralLogs.lineLogged(
                local.definition.logGroupName,
                `local/${local.definition.functionName}`,
                line,
              );
            const role = resource.Properties?.Role as
              { 'Fn::GetAtt'?: [string, string] } | undefined;
            const roleLogicalId = role?.['Fn::GetAtt']?.[0];
            callers.set(local.definition.environment.AWS_ACCESS_KEY_ID, {
              roleLogicalId,
              roleArn: roleLogicalId ? context.attributes.get(`${roleLogicalId}.Arn`) : undefined,
              permissions,
            });
            stoppers.push(() => local.stop());
          }
          byStack.push(functionsByLogicalId);
        }
        // Loading each bundle ahead is the cold start done once, so first calls keep their timeouts.
        const warmed = await Promise.all(
          [...functionsByName.values()].map(async (fn) => [fn, await fn.warm()] as const),
        );
        for (const [fn, result] of warmed) {
          if (result.functionError) {
            const error = result.payload as { errorMessage?: string };
            process.stderr.write(
              `serverless-msa: ${fn.definition.functionName} failed to load: ${error.errorMessage}\n`,
            );
          }
        }
        return byStack;
      },
      () => `${plural(functionsByName.size, 'function')} loaded, one worker thread each`,
    );

    await phase(
      progress,
      'gateway',
      () => {
        // Functions and authorizers of every stack, by their app-wide keys.
        const functions = new Map<string, LocalFunction>();
        for (const [index, { stack }] of deployed.entries()) {
          for (const [logicalId, fn] of functionsByStack[index])
            functions.set(appKey(stack, logicalId), fn);
        }
        const authorizers = new Map<string, LocalRequestAuthorizer>();
        for (const [authorizerId, definition] of api.authorizers) {
          const fn = definition.functionLogicalId
            ? functions.get(definition.functionLogicalId)
            : undefined;
          if (fn)
            authorizers.set(
              authorizerId,
              new LocalRequestAuthorizer(definition, (event, traceHeader) =>
                fn.invoke(event, traceHeader),
              ),
            );
        }
        // The stage's WAF rate rules, held per client socket address (README: security).
        const firewall = readFirewallRules(deployed[servedStack].stack.template);
        for (const reason of firewall.skipped)
          process.stderr.write(`serverless-msa: web ACL rule ${reason}\n`);
        gateway.serve({
          api,
          firewall: firewall.rules.length ? new LocalFirewall(firewall.rules) : undefined,
          apiContext: {
            apiId: served.apiId,
            stage: api.stageName,
            accountId: LOCAL_ACCOUNT_ID,
          },
          region,
          functions,
          authorizers,
          tracing: tracing.collector,
        });
      },
      () =>
        `${plural(api.routes.length, 'route')} of ${api.logicalId} from ${plural(deployed.length, 'stack')}, stage ${api.stageName}`,
    );

    const clients: PlatformClient[] = [];
    const operators: PlatformOperator[] = [];
    let schedules = 0;
    let triggers = 0;
    let mappings = 0;
    await phase(
      progress,
      'bootstrap',
      async () => {
        for (const [index, { stack }] of deployed.entries()) {
          triggers += (await runTriggers(stack, functionsByStack[index])).length;
        }
        clients.push(...(await createDemoClients(deployed, clientSettings)));
        operators.push(...(await createDemoOperators(deployed, clientSettings)));
        for (const [index, { stack }] of deployed.entries()) {
          for (const schedule of startSchedules(stack, functionsByStack[index], region)) {
            schedules++;
            stoppers.push(async () => schedule.stop());
          }
        }
        // Queues feed their functions as Lambda's event source mappings do.
        const messaging = startLocalMessaging({
          deployed,
          functionsByStack,
          functions: functionsByName.values(),
          lambdaApi,
          operatorAccessKeyId: LOCAL_OPERATOR_ACCESS_KEY_ID,
          clients: clientSettings,
        });
        mappings = messaging.mappings.size;
        stoppers.push(() => messaging.stop());
      },
      () =>
        `${plural(triggers, 'trigger')} run, ${plural(clients.length, 'demo client')}, ${plural(schedules, 'schedule')}, ${plural(mappings, 'event source mapping')}`,
    );

    const logs = await phase(
      progress,
      'central logs',
      () =>
        centralLogs.connect({
          platformName: platformNameOf(functionsByName.values()),
          region,
          awsEndpoint: emulator.endpoint,
          credentials: clientSettings.credentials,
          environment: QUIET_SDK,
        }),
      (status) =>
        status.url
          ? `OpenSearch at ${status.url}, fed by the log shipper`
          : `left out: ${status.reason}`,
    );

    const platform: RunningPlatform = {
      baseUrl,
      awsEndpoint: emulator.endpoint,
      lambdaEndpoint,
      region,
      stage: api.stageName,
      logDir,
      functions: functionsByName,
      openSearchUrl: logs.url,
      provisioned,
      zipkinUrl: await tracing.zipkinUrl,
      stop,
    };
    writePlatformFile(stateDir, platform, clients, operators);
    return platform;
  } catch (error) {
    await stop();
    throw error;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The URLs under which the deployed API would be reached (default execute-api endpoint). */
function executeApiUrls(
  context: ResolutionContext,
  apiLogicalId: string,
  stageName: string,
): string[] {
  const apiId = context.refs.get(apiLogicalId);
  if (!apiId) return [];
  const host = `https://${apiId}.execute-api.${context.region}.amazonaws.com`;
  return [`${host}/${stageName}`, host];
}

/** `.local/platform.json`: what a client (or a test) needs to talk to the running platform. */
export function writePlatformFile(
  stateDir: string,
  platform: RunningPlatform,
  clients: PlatformClient[],
  operators: readonly PlatformOperator[] = [],
): void {
  const document = {
    baseUrl: platform.baseUrl,
    awsEndpoint: platform.awsEndpoint,
    lambdaEndpoint: platform.lambdaEndpoint,
    ...(platform.openSearchUrl ? { openSearchUrl: platform.openSearchUrl } : {}),
    ...(platform.zipkinUrl ? { zipkinUrl: platform.zipkinUrl } : {}),
    operatorAccessKeyId: LOCAL_OPERATOR_ACCESS_KEY_ID,
    region: platform.region,
    stage: platform.stage,
    logDir: platform.logDir,
    functions: [...platform.functions.values()].map(({ definition, logFile }) => ({
      functionName: definition.functionName,
      logicalId: definition.logicalId,
      label: definition.label,
      arn: definition.arn,
      logFile,
      // What the function was configured with (resolved), less its local credentials.
      environment: Object.fromEntries(
        Object.entries(definition.environment).filter(
          ([name]) => !/^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)$/.test(name),
        ),
      ),
    })),
    clients,
    // People sign in to the console (served by the platform) with these; see the README.
    ...(operators.length > 0
      ? { consoleUrl: `${platform.baseUrl}/console`, operators: [...operators] }
      : {}),
  };
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(path.join(stateDir, 'platform.json'), `${JSON.stringify(document, null, 2)}\n`, {
    mode: 0o600,
  });
}

function localFunction(
  stack: StackArtifact,
  logicalId: string,
  context: ResolutionContext,
  settings: {
    emulatorEndpoint: string;
    lambdaEndpoint: string;
    appConfigDataEndpoint: string;
    logDir: string;
    echo: boolean;
    /** The X-Ray stand-in; without it the functions' Tracer stays off. */
    tracing?: LocalTracing;
    /** The local Zipkin, which the operator console links traces to. */
    zipkinUrl?: string;
    /** The local OpenSearch node, which the admin API's log views search. */
    logSearchUrl?: string;
    rewrite: (value: string) => string;
  },
): LocalFunction | undefined {
  const resource = stack.template.Resources[logicalId];
  const assetPath = resource.Metadata?.['aws:asset:path'];
  const properties = resource.Properties ?? {};
  // Functions without a bundled asset (inline code, CDK's own custom resources) are not run.
  if (typeof assetPath !== 'string' || typeof properties.Handler !== 'string') return undefined;
  if (!String(properties.Runtime ?? '').startsWith('nodejs')) return undefined;
  const functionName = context.refs.get(logicalId)!;
  const handler = properties.Handler;
  const fileBase = handler.slice(0, handler.lastIndexOf('.'));
  const variables = (resolveValue(
    (properties.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
    context,
  ) ?? {}) as Record<string, string>;
  const { NODE_OPTIONS: _ignored, ...resolved } = variables;
  const templateEnvironment = Object.fromEntries(
    Object.entries(resolved).map(([name, value]) => [name, settings.rewrite(String(value))]),
  );
  const logGroupName = `/aws/lambda/${functionName}`;
  const memorySize = Number(properties.MemorySize ?? 128);
  const environment: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: 'UTC',
    LANG: 'en_US.UTF-8',
    ...templateEnvironment,
    AWS_REGION: context.region,
    AWS_DEFAULT_REGION: context.region,
    // Each function signs with its own key ID, so the local Lambda API can tell callers apart.
    AWS_ACCESS_KEY_ID: `LOCAL${logicalId}`.slice(0, 128),
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL: settings.emulatorEndpoint,
    AWS_ENDPOINT_URL_LAMBDA: settings.lambdaEndpoint,
    AWS_ENDPOINT_URL_APPCONFIGDATA: settings.appConfigDataEndpoint,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupName,
    LAMBDA_TASK_ROOT: path.join(stack.assemblyDir, assetPath),
    // Off unless the local X-Ray stand-in runs: it then adds its daemon address and turns it on.
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    SERVERLESS_MSA_LOCAL: 'true',
    // The operator console links each request's trace to the local Zipkin, not to X-Ray's console.
    ...(settings.zipkinUrl && CONSOLE_ENV.clientId in templateEnvironment
      ? { [CONSOLE_ENV.zipkinUrl]: settings.zipkinUrl }
      : {}),
    // The admin API's log views search the local node, not the domain the template names;
    // without a local node they answer 503 (no log store).
    ...(ADMIN_ENV.logSearchEndpoint in templateEnvironment
      ? { [ADMIN_ENV.logSearchEndpoint]: settings.logSearchUrl ?? '' }
      : {}),
    ...QUIET_SDK,
  };
  return new LocalFunction(
    {
      logicalId,
      functionName,
      arn: context.attributes.get(`${logicalId}.Arn`)!,
      entryFile: path.join(stack.assemblyDir, assetPath, `${fileBase}.js`),
      handlerName: handler.slice(handler.lastIndexOf('.') + 1),
      environment,
      timeoutSeconds: Number(properties.Timeout ?? 3),
      memorySize,
      logGroupName,
      label: templateEnvironment.POWERTOOLS_SERVICE_NAME ?? logicalId,
    },
    { logDir: settings.logDir, echo: settings.echo, tracing: settings.tracing },
  );
}

/**
 * The cloud assembly to run: the one given, the last synth when the app has not changed since
 * (see synth-stamp.ts), or a new synth.
 */
async function synthesizeOrReuse(
  options: LocalPlatformOptions,
  stateDir: string,
): Promise<{
  assemblyDir: string;
  stacks: StackArtifact[];
  how: 'given' | 'reused' | 'synthesized';
}> {
  if (options.cloudAssemblyDir) {
    const dir = options.cloudAssemblyDir;
    return { assemblyDir: dir, stacks: readCloudAssembly(dir), how: 'given' };
  }
  const outdir = path.join(stateDir, 'cdk.out');
  if (!options.app) {
    await synthesize(outdir);
    return { assemblyDir: outdir, stacks: readCloudAssembly(outdir), how: 'synthesized' };
  }
  const stamp = appSourceStamp(options.app);
  if (synthIsCurrent(outdir, stamp)) {
    return { assemblyDir: outdir, stacks: readCloudAssembly(outdir), how: 'reused' };
  }
  clearSynthStamp(outdir);
  await synthesizeApp(options.app, outdir);
  const stacks = readCloudAssembly(outdir);
  writeSynthStamp(outdir, stamp);
  return { assemblyDir: outdir, stacks, how: 'synthesized' };
}

/** Runs `cdk synth` with the project's pinned CLI, as a user would. */
async function synthesize(outdir: string): Promise<string> {
  const cli = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
  const child = spawn(cli, ['synth', '--quiet', '--no-notices', '--output', outdir], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', ...QUIET_SDK },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', resolve);
  });
  if (code !== 0) {
    throw new LocalPlatformError(
      `cdk synth failed (exit ${code}):\n${stderr.trim().split('\n').slice(-15).join('\n')}`,
    );
  }
  return outdir;
}
