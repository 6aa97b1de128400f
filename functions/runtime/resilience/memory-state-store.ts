import {
  applyOutcomes,
  emptyRecord,
  type CircuitRecord,
  type OutcomeBatch,
  type ProbeLease,
  type StateStore,
} from './state-store';

/**
 * Records in this process's memory, with the same conditional semantics as the shared store.
 * It is the breaker's fail-open fallback when DynamoDB is unavailable, and the store of unit tests.
 */
export class MemoryStateStore implements StateStore {
  private readonly records = new Map<string, CircuitRecord>();

  async get(name: string): Promise<CircuitRecord> {
    return this.records.get(name) ?? emptyRecord(name);
  }

  async transition(expectedVersion: number, next: CircuitRecord): Promise<boolean> {
    if (this.versionOf(next.name) !== expectedVersion) return false;
    if ((this.records.get(next.name)?.leaseSeq ?? 0) !== (next.leaseSeq ?? 0)) return false;
    this.records.set(next.name, next);
    return true;
  }

  async addOutcomes(name: string, batch: OutcomeBatch): Promise<CircuitRecord | undefined> {
    const current = this.records.get(name) ?? emptyRecord(name);
    if (current.version !== batch.expectedVersion) return undefined;
    if (current.bucketStart !== batch.expectedBucketStart) return undefined;
    const next = applyOutcomes(current, batch);
    this.records.set(name, next);
    return next;
  }

  async acquireLease(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
    now: number,
  ): Promise<CircuitRecord | undefined> {
    const current = this.records.get(name);
    if (!current || current.version !== expectedVersion || current.state !== 'HALF_OPEN')
      return undefined;
    const holder = current.leases.find((held) => held.slot === lease.slot);
    if (holder && holder.until > now) return undefined;
    const next = {
      ...current,
      leases: [...current.leases.filter((held) => held.slot !== lease.slot), lease],
      leaseSeq: (current.leaseSeq ?? 0) + 1,
    };
    this.records.set(name, next);
    return next;
  }

  async releaseLease(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
  ): Promise<CircuitRecord | undefined> {
    const current = this.records.get(name);
    if (!current || current.version !== expectedVersion) return undefined;
    if (!current.leases.some((held) => held.slot === lease.slot && held.token === lease.token))
      return undefined;
    const next = { ...current, leases: current.leases.filter((held) => held.slot !== lease.slot) };
    this.records.set(name, next);
    return next;
  }

  async completeProbe(
    name: string,
    expectedVersion: number,
    lease: ProbeLease,
  ): Promise<CircuitRecord | undefined> {
    const current = this.records.get(name);
    if (!current || current.version !== expectedVersion) return undefined;
    if (!current.leases.some((held) => held.slot === lease.slot && held.token === lease.token))
      return undefined;
    const next = {
      ...current,
      probeSuccesses: current.probeSuccesses + 1,
      leases: current.leases.filter((held) => held.slot !== lease.slot),
    };
    this.records.set(name, next);
    return next;
  }

  async list(): Promise<CircuitRecord[]> {
    return [...this.records.values()];
  }

  /**
   * Replaces a circuit's record with a known one, leases included. The breaker restarts its
   * local fallback from the latest shared state it saw at every fall-back, so an open circuit
   * stays open and a leased probe slot stays taken, however many outages came before.
   */
  reset(record: CircuitRecord): void {
    this.records.set(record.name, record);
  }

  private versionOf(name: string): number {
    return this.records.get(name)?.version ?? 0;
  }
}
