/**
 * Scale: resources of the largest stack for 100 services (each in its own stack), and synth time
 * for 100 services against 10 (linear would be a ratio near 10).
 * Run alone with `npx tsx test/bench/scale.bench.ts`.
 */
import { synthManyServices } from '../support/many-services';

export async function run(): Promise<string[]> {
  // A first synth loads aws-cdk-lib: keep it out of both timings.
  synthManyServices(1);
  const ten = synthManyServices(10);
  const hundred = synthManyServices(100);
  const largest = hundred.stacks.reduce((a, b) => (b.resources > a.resources ? b : a));
  return [
    `bench scale.largest-stack-resources.100-services ${largest.resources} resources vs cloudformation-limit 500 ratio ${(largest.resources / 500).toFixed(3)}`,
    `bench scale.synth-time.100-services ${hundred.synthMs.toFixed(0)} ms vs 10-services ${ten.synthMs.toFixed(0)} ratio ${(hundred.synthMs / ten.synthMs).toFixed(2)}`,
  ];
}

if (require.main === module) {
  run().then((lines) => console.log(lines.join('\n')));
}
