import { describe, expect, it } from 'vitest';
import { synthManyServices } from '../../support/many-services';

describe('a platform of 100 services, each in its own stack', () => {
  it('synthesizes 101 stacks, every one (the platform’s too) at or under 400 resources', () => {
    const { stacks } = synthManyServices(100);
    expect(stacks).toHaveLength(101);
    const over = stacks.filter((stack) => stack.resources > 400);
    expect(over, JSON.stringify(over)).toEqual([]);
    const platform = stacks.find((stack) => stack.stackName === 'Platform')!;
    const services = stacks.filter((stack) => stack.stackName !== 'Platform');
    // A service's stack does not grow with the number of services, nor does the platform's.
    expect(new Set(services.slice(1).map((stack) => stack.resources)).size).toBe(1);
    expect(platform.resources).toBe(
      synthManyServices(1).stacks.find((s) => s.stackName === 'Platform')!.resources,
    );
    console.info(
      `100 services: platform stack ${platform.resources} resources, service stack ${services[1].resources}`,
    );
  }, 300_000);
});
