import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DeleteEndpointCommand,
  DeleteEndpointConfigCommand,
  DeleteModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointConfigsCommand,
  ListEndpointsCommand,
  ListModelsCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  type Tag,
} from '@aws-sdk/client-sagemaker';

/**
 * A stateful SageMaker control plane for aws-sdk-client-mock (there is no local server for it):
 * models, configs and endpoints with SageMaker's rules and error shapes — ValidationException
 * "Could not find …" for missing resources, "Cannot create already existing …" for duplicates —
 * endpoints that go Creating → InService (or Failed) after `settleAfter` describes, and updates
 * that either switch config or roll back to the old one with FailureReason set.
 */
type Outcome = 'ok' | 'fail' | 'rollback';
interface Ep {
  name: string;
  config: string;
  status: string;
  failureReason?: string;
  pending?: string;
  describes: number;
}

const ARN = (kind: string, name: string) => `arn:aws:sagemaker:us-east-1:123456789012:${kind}/${name.toLowerCase()}`;

export function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, requestId: 'req-1' } });
}

export class FakeSageMaker {
  readonly models = new Map<string, { input: Record<string, unknown> }>();
  readonly configs = new Map<string, { input: Record<string, unknown> }>();
  readonly endpoints = new Map<string, Ep>();
  readonly tags = new Map<string, Tag[]>();
  readonly ops: string[] = [];
  outcome: Outcome = 'ok';
  settleAfter = 2;
  private readonly failures: Array<{ op: string; error: () => Error; times: number }> = [];

  /** `sm` is `mockClient(SageMakerClient)`. */
  constructor(sm: unknown) {
    const on = <I>(cmd: unknown, op: string, fn: (input: I) => unknown) =>
      (sm as unknown as { on: (c: unknown) => { callsFake: (f: (i: I) => unknown) => void } }).on(cmd).callsFake(async (input: I) => {
        this.ops.push(op);
        const f = this.failures.find((x) => x.op === op && x.times > 0);
        if (f) {
          f.times--;
          throw f.error();
        }
        return fn(input);
      });
    const tagsOf = (arn: string) => this.tags.get(arn) ?? [];
    on<{ ModelName: string; Tags?: Tag[] }>(CreateModelCommand, 'CreateModel', (i) => {
      if (this.models.has(i.ModelName)) throw awsError('ValidationException', `Cannot create already existing model "${ARN('model', i.ModelName)}".`);
      this.models.set(i.ModelName, { input: i });
      this.tags.set(ARN('model', i.ModelName), i.Tags ?? []);
      return { ModelArn: ARN('model', i.ModelName) };
    });
    on<{ ModelName: string }>(DescribeModelCommand, 'DescribeModel', (i) => {
      if (!this.models.has(i.ModelName)) throw awsError('ValidationException', `Could not find model "${ARN('model', i.ModelName)}".`);
      return { ModelName: i.ModelName, ModelArn: ARN('model', i.ModelName), PrimaryContainer: this.models.get(i.ModelName)!.input['PrimaryContainer'] };
    });
    on<{ ModelName: string }>(DeleteModelCommand, 'DeleteModel', (i) => {
      if (!this.models.delete(i.ModelName)) throw awsError('ValidationException', `Could not find model "${ARN('model', i.ModelName)}".`);
      return {};
    });
    on<{ EndpointConfigName: string; Tags?: Tag[] }>(CreateEndpointConfigCommand, 'CreateEndpointConfig', (i) => {
      if (this.configs.has(i.EndpointConfigName))
        throw awsError('ValidationException', `Cannot create already existing endpoint configuration "${ARN('endpoint-config', i.EndpointConfigName)}".`);
      this.configs.set(i.EndpointConfigName, { input: i });
      this.tags.set(ARN('endpoint-config', i.EndpointConfigName), i.Tags ?? []);
      return { EndpointConfigArn: ARN('endpoint-config', i.EndpointConfigName) };
    });
    on<{ EndpointConfigName: string }>(DescribeEndpointConfigCommand, 'DescribeEndpointConfig', (i) => {
      const c = this.configs.get(i.EndpointConfigName);
      if (!c) throw awsError('ValidationException', `Could not find endpoint configuration "${ARN('endpoint-config', i.EndpointConfigName)}".`);
      return {
        EndpointConfigName: i.EndpointConfigName,
        EndpointConfigArn: ARN('endpoint-config', i.EndpointConfigName),
        ProductionVariants: c.input['ProductionVariants'],
      };
    });
    on<{ EndpointConfigName: string }>(DeleteEndpointConfigCommand, 'DeleteEndpointConfig', (i) => {
      if (!this.configs.has(i.EndpointConfigName))
        throw awsError('ValidationException', `Could not find endpoint configuration "${ARN('endpoint-config', i.EndpointConfigName)}".`);
      this.configs.delete(i.EndpointConfigName);
      return {};
    });
    on<{ EndpointName: string; EndpointConfigName: string; Tags?: Tag[] }>(CreateEndpointCommand, 'CreateEndpoint', (i) => {
      if (this.endpoints.has(i.EndpointName))
        throw awsError('ValidationException', `Cannot create already existing endpoint "${ARN('endpoint', i.EndpointName)}".`);
      this.endpoints.set(i.EndpointName, { name: i.EndpointName, config: i.EndpointConfigName, status: 'Creating', describes: 0 });
      this.tags.set(ARN('endpoint', i.EndpointName), i.Tags ?? []);
      return { EndpointArn: ARN('endpoint', i.EndpointName) };
    });
    on<{ EndpointName: string; EndpointConfigName: string }>(UpdateEndpointCommand, 'UpdateEndpoint', (i) => {
      const e = this.endpoints.get(i.EndpointName);
      if (!e) throw awsError('ValidationException', `Could not find endpoint "${ARN('endpoint', i.EndpointName)}".`);
      if (e.status !== 'InService') throw awsError('ValidationException', `Cannot update in-progress endpoint "${ARN('endpoint', i.EndpointName)}".`);
      Object.assign(e, { status: 'Updating', pending: i.EndpointConfigName, describes: 0, failureReason: undefined });
      return { EndpointArn: ARN('endpoint', i.EndpointName) };
    });
    on<{ EndpointName: string }>(DescribeEndpointCommand, 'DescribeEndpoint', (i) => {
      const e = this.endpoints.get(i.EndpointName);
      if (!e) throw awsError('ValidationException', `Could not find endpoint "${ARN('endpoint', i.EndpointName)}".`);
      if (++e.describes > this.settleAfter) this.settle(e);
      return {
        EndpointName: e.name,
        EndpointArn: ARN('endpoint', e.name),
        EndpointConfigName: e.config,
        EndpointStatus: e.status,
        ...(e.failureReason ? { FailureReason: e.failureReason } : {}),
        ...(e.pending ? { PendingDeploymentSummary: { EndpointConfigName: e.pending } } : {}),
        ProductionVariants: [
          { VariantName: 'AllTraffic', CurrentInstanceCount: e.status === 'InService' ? 1 : 0, DesiredInstanceCount: 1, DeployedImages: [] },
        ],
      };
    });
    on<{ EndpointName: string }>(DeleteEndpointCommand, 'DeleteEndpoint', (i) => {
      if (!this.endpoints.delete(i.EndpointName)) throw awsError('ValidationException', `Could not find endpoint "${ARN('endpoint', i.EndpointName)}".`);
      return {};
    });
    on(ListEndpointsCommand, 'ListEndpoints', () => ({
      Endpoints: [...this.endpoints.values()].map((e) => ({ EndpointName: e.name, EndpointArn: ARN('endpoint', e.name), EndpointStatus: e.status })),
    }));
    on(ListEndpointConfigsCommand, 'ListEndpointConfigs', () => ({
      EndpointConfigs: [...this.configs.keys()].map((n) => ({ EndpointConfigName: n, EndpointConfigArn: ARN('endpoint-config', n) })),
    }));
    on(ListModelsCommand, 'ListModels', () => ({ Models: [...this.models.keys()].map((n) => ({ ModelName: n, ModelArn: ARN('model', n) })) }));
    on<{ ResourceArn: string }>(ListTagsCommand, 'ListTags', (i) => ({ Tags: tagsOf(i.ResourceArn) }));
    on<{ ResourceArn: string; Tags: Tag[] }>(AddTagsCommand, 'AddTags', (i) => {
      this.tags.set(i.ResourceArn, [...tagsOf(i.ResourceArn), ...i.Tags]);
      return { Tags: i.Tags };
    });
  }

  failNext(op: string, error: () => Error, times = 1): void {
    this.failures.push({ op, error, times });
  }

  mutations(): string[] {
    return this.ops.filter((o) => /^(Create|Update|Delete)/.test(o));
  }

  private settle(e: Ep): void {
    if (e.status === 'Creating') {
      if (this.outcome === 'ok') e.status = 'InService';
      else
        Object.assign(e, {
          status: 'Failed',
          failureReason:
            'The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.',
        });
    } else if (e.status === 'Updating') {
      if (this.outcome === 'ok') e.config = e.pending!;
      else e.failureReason = 'The primary container for production variant AllTraffic did not pass the ping health check.';
      Object.assign(e, { status: 'InService', pending: undefined });
    }
  }
}
