import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';

/** Why a consumer paused: the circuits that were open, and until when they said so. */
export interface PauseMarker {
  readonly circuits: readonly string[];
  readonly pausedAt: number;
  /** Epoch ms the open circuit allows a probe again (0 when forced open: unknown). */
  readonly openUntil: number;
}

const MARKER_KEY = { pk: 'messaging#consumer', sk: 'pause' } as const;

export interface EventSourceMappingControlOptions {
  /** The consumer's own function: its mapping is the only one it may update (IAM condition). */
  readonly functionName: string;
  readonly queueArn: string;
  /** @default - a client from the environment (honours AWS_ENDPOINT_URL_LAMBDA) */
  readonly lambda?: LambdaClient;
  /**
   * Where the pause marker lives (the service's table, `pk`/`sk`), so that the resume check
   * re-enables only a mapping the consumer paused itself, never one an operator disabled.
   */
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Pauses and resumes a consumer's event source mapping. A disabled mapping receives nothing, so
 * while a dependency's circuit is open no message is received: none counts a receive toward its
 * dead-letter queue's max receive count, whatever the outage's length.
 */
export class EventSourceMappingControl {
  private readonly lambda: LambdaClient;
  private uuid?: string;

  constructor(private readonly options: EventSourceMappingControlOptions) {
    this.lambda = options.lambda ?? new LambdaClient({});
  }

  get client(): LambdaClient {
    return this.lambda;
  }

  /** The mapping's state (`Enabled`, `Disabled`, `Enabling`, …); undefined when none exists. */
  async state(): Promise<string | undefined> {
    return (await this.find())?.State;
  }

  /** Writes the marker, then disables the mapping. Returns whether the mapping was found. */
  async pause(marker: PauseMarker): Promise<boolean> {
    await this.options.documents.send(
      new PutCommand({
        TableName: this.options.tableName,
        Item: { ...MARKER_KEY, ...marker, circuits: [...marker.circuits] },
      }),
    );
    return this.setEnabled(false);
  }

  /** Enables the mapping, then removes the marker. */
  async resume(): Promise<boolean> {
    const found = await this.setEnabled(true);
    await this.options.documents.send(
      new DeleteCommand({ TableName: this.options.tableName, Key: MARKER_KEY }),
    );
    return found;
  }

  /** The consumer's own pause, if it paused and has not resumed. */
  async marker(): Promise<PauseMarker | undefined> {
    const { Item } = await this.options.documents.send(
      new GetCommand({ TableName: this.options.tableName, Key: MARKER_KEY, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    return {
      circuits: Array.isArray(Item.circuits) ? Item.circuits.map(String) : [],
      pausedAt: Number(Item.pausedAt ?? 0),
      openUntil: Number(Item.openUntil ?? 0),
    };
  }

  private async setEnabled(enabled: boolean): Promise<boolean> {
    const mapping = await this.find();
    if (!mapping?.UUID) return false;
    const wanted = enabled ? ['Enabled', 'Enabling'] : ['Disabled', 'Disabling'];
    if (wanted.includes(mapping.State ?? '')) return true;
    try {
      await this.lambda.send(
        new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: enabled }),
      );
    } catch (error) {
      // Another environment is changing it right now: its change is the same as ours.
      if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
    }
    return true;
  }

  private async find() {
    const { EventSourceMappings } = await this.lambda.send(
      new ListEventSourceMappingsCommand({
        FunctionName: this.options.functionName,
        EventSourceArn: this.options.queueArn,
      }),
    );
    const mapping =
      EventSourceMappings?.find((candidate) => candidate.UUID === this.uuid) ??
      EventSourceMappings?.[0];
    this.uuid = mapping?.UUID;
    return mapping;
  }
}
