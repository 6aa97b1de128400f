/**
 * `npm run bench`: every benchmark, one line per figure:
 *   bench <name> <value> <unit> [vs <baseline-name> <value> ratio <value>]
 * Times carry a baseline measured in the same run; counts and sizes are exact.
 */
import { run as authorizer } from './authorizer.bench';
import { run as bundleSize } from './bundle-size.bench';
import { run as centralLogs } from './central-logs.bench';
import { run as circuitBreaker } from './circuit-breaker.bench';
import { run as configDiscovery } from './config-discovery.bench';
import { run as localPlatform } from './local-platform.bench';
import { run as messaging } from './messaging.bench';
import { run as packageSize } from './package-size.bench';
import { run as scale } from './scale.bench';
import { run as tokenRefusal } from './token-refusal.bench';
import { run as tracing } from './tracing.bench';

async function main(): Promise<void> {
  for (const bench of [
    packageSize,
    bundleSize,
    scale,
    circuitBreaker,
    authorizer,
    tokenRefusal,
    configDiscovery,
    tracing,
    centralLogs,
    messaging,
    localPlatform,
  ]) {
    for (const line of await bench()) console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
