/**
 * The parts of an X-Ray segment document (https://docs.aws.amazon.com/xray/latest/devguide/xray-api-segmentdocuments.html)
 * the local collector reads. Segments and subsegments share the shape; a subsegment sent on its
 * own carries `type: "subsegment"`, its `parent_id` and the `trace_id`.
 */
export interface SegmentDocument {
  readonly name: string;
  readonly id: string;
  readonly trace_id?: string;
  readonly parent_id?: string;
  readonly type?: 'subsegment';
  readonly start_time: number;
  readonly end_time?: number;
  readonly in_progress?: boolean;
  /** `AWS::Lambda::Function`, `AWS::ApiGateway::Stage`... (segments only). */
  readonly origin?: string;
  /** `aws` for AWS SDK calls, `remote` for other downstream calls (subsegments only). */
  readonly namespace?: string;
  readonly error?: boolean;
  readonly fault?: boolean;
  readonly throttle?: boolean;
  readonly cause?: {
    readonly exceptions?: readonly { readonly message?: string; readonly type?: string }[];
  };
  readonly http?: {
    readonly request?: { readonly method?: string; readonly url?: string };
    readonly response?: { readonly status?: number };
  };
  readonly aws?: Record<string, unknown>;
  readonly annotations?: Record<string, unknown>;
  readonly subsegments?: readonly SegmentDocument[];
}
