import {
  AppConfigClient,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateEnvironmentCommand,
  CreateHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListEnvironmentsCommand,
} from '@aws-sdk/client-appconfig';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  CreateHttpNamespaceCommand,
  CreateServiceCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { MutableResolutionContext } from './physical-names';
import type { AwsClientSettings, ProvisionedResource } from './provision';

type Properties = Record<string, unknown>;
type Provisioner = (
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
) => Promise<ProvisionedResource>;

/**
 * Parents before children: a service needs its namespace's ID, a profile its application's.
 * Parameters come last: a platform publishes the others' IDs in them.
 */
export const PROVISION_ORDER = [
  'AWS::DynamoDB::Table',
  'AWS::ServiceDiscovery::HttpNamespace',
  'AWS::ServiceDiscovery::Service',
  'AWS::ServiceDiscovery::Instance',
  'AWS::AppConfig::Application',
  'AWS::AppConfig::Environment',
  'AWS::AppConfig::ConfigurationProfile',
  'AWS::AppConfig::HostedConfigurationVersion',
  'AWS::SSM::Parameter',
];

export const PROVISIONERS: Record<string, Provisioner> = {
  'AWS::DynamoDB::Table': provisionTable,
  'AWS::SSM::Parameter': provisionParameter,
  'AWS::ServiceDiscovery::HttpNamespace': provisionNamespace,
  'AWS::ServiceDiscovery::Service': provisionDiscoveryService,
  'AWS::ServiceDiscovery::Instance': provisionInstance,
  'AWS::AppConfig::Application': provisionApplication,
  'AWS::AppConfig::Environment': provisionEnvironment,
  'AWS::AppConfig::ConfigurationProfile': provisionProfile,
  'AWS::AppConfig::HostedConfigurationVersion': provisionHostedVersion,
};

const done = (
  logicalId: string,
  type: string,
  physicalId: string,
  existed: boolean,
): ProvisionedResource => ({
  logicalId,
  type,
  physicalId,
  existed,
});

function isAlreadyThere(error: unknown, ...names: string[]): boolean {
  return names.includes((error as { name?: string }).name ?? '');
}

async function provisionTable(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const tableName = context.refs.get(logicalId)!;
  const client = new DynamoDBClient(clients);
  const input: CreateTableCommandInput = {
    TableName: tableName,
    KeySchema: properties.KeySchema as CreateTableCommandInput['KeySchema'],
    AttributeDefinitions:
      properties.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    BillingMode:
      (properties.BillingMode as CreateTableCommandInput['BillingMode']) ?? 'PROVISIONED',
    ProvisionedThroughput:
      properties.ProvisionedThroughput as CreateTableCommandInput['ProvisionedThroughput'],
    GlobalSecondaryIndexes:
      properties.GlobalSecondaryIndexes as CreateTableCommandInput['GlobalSecondaryIndexes'],
    LocalSecondaryIndexes:
      properties.LocalSecondaryIndexes as CreateTableCommandInput['LocalSecondaryIndexes'],
  };
  let existed = false;
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if (!isAlreadyThere(error, 'ResourceInUseException')) throw error;
    existed = true;
  }
  const ttl = properties.TimeToLiveSpecification as
    { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.Enabled && ttl.AttributeName && !existed) {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: true },
      }),
    );
  }
  client.destroy();
  return done(logicalId, 'AWS::DynamoDB::Table', tableName, existed);
}

async function provisionParameter(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const name = String(properties.Name ?? context.refs.get(logicalId));
  const client = new SSMClient(clients);
  let existed = false;
  try {
    await client.send(
      new PutParameterCommand({
        Name: name,
        Value: String(properties.Value),
        Type: (properties.Type as 'String' | 'StringList') ?? 'String',
        Description: properties.Description as string | undefined,
      }),
    );
  } catch (error) {
    // An operator may have changed it in a persistent emulator: keep their value. What the
    // platform and its services publish for each other (attributes, route scopes) follows the app.
    if (!isAlreadyThere(error, 'ParameterAlreadyExists')) throw error;
    existed = true;
    if (name.includes('/_platform/')) {
      await client.send(
        new PutParameterCommand({
          Name: name,
          Value: String(properties.Value),
          Type: (properties.Type as 'String' | 'StringList') ?? 'String',
          Overwrite: true,
        }),
      );
    }
  } finally {
    client.destroy();
  }
  context.refs.set(logicalId, name);
  return done(logicalId, 'AWS::SSM::Parameter', name, existed);
}

async function provisionNamespace(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const name = String(properties.Name);
  const client = new ServiceDiscoveryClient(clients);
  try {
    const find = async () =>
      (await client.send(new ListNamespacesCommand({}))).Namespaces?.find(
        (namespace) => namespace.Name === name,
      );
    let namespace = await find();
    const existed = namespace !== undefined;
    if (!namespace) {
      // Cloud Map creates namespaces asynchronously; an emulator records them at once.
      await client.send(
        new CreateHttpNamespaceCommand({
          Name: name,
          Description: properties.Description as string | undefined,
        }),
      );
      namespace = await find();
    }
    if (!namespace?.Id) throw new Error(`namespace ${name} was not created`);
    context.refs.set(logicalId, namespace.Id);
    context.attributes.set(`${logicalId}.Id`, namespace.Id);
    context.attributes.set(`${logicalId}.Arn`, namespace.Arn ?? '');
    return done(logicalId, 'AWS::ServiceDiscovery::HttpNamespace', namespace.Id, existed);
  } finally {
    client.destroy();
  }
}

async function provisionDiscoveryService(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const client = new ServiceDiscoveryClient(clients);
  const name = String(properties.Name);
  const namespaceId = String(properties.NamespaceId);
  try {
    const existing = (
      await client.send(
        new ListServicesCommand({
          Filters: [{ Name: 'NAMESPACE_ID', Values: [namespaceId], Condition: 'EQ' }],
        }),
      )
    ).Services?.find((service) => service.Name === name);
    const service =
      existing ??
      (
        await client.send(
          new CreateServiceCommand({
            Name: name,
            NamespaceId: namespaceId,
            Description: properties.Description as string | undefined,
            HealthCheckCustomConfig: properties.HealthCheckCustomConfig as
              { FailureThreshold?: number } | undefined,
            Type: properties.Type as 'HTTP' | undefined,
          }),
        )
      ).Service;
    if (!service?.Id) throw new Error(`service ${name} was not created`);
    context.refs.set(logicalId, service.Id);
    context.attributes.set(`${logicalId}.Id`, service.Id);
    context.attributes.set(`${logicalId}.Arn`, service.Arn ?? '');
    context.attributes.set(`${logicalId}.Name`, name);
    return done(logicalId, 'AWS::ServiceDiscovery::Service', service.Id, existing !== undefined);
  } finally {
    client.destroy();
  }
}

async function provisionInstance(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const client = new ServiceDiscoveryClient(clients);
  const instanceId = String(properties.InstanceId ?? logicalId);
  try {
    // Registering again replaces the attributes: the template is the truth.
    await client.send(
      new RegisterInstanceCommand({
        ServiceId: String(properties.ServiceId),
        InstanceId: instanceId,
        Attributes: properties.InstanceAttributes as Record<string, string>,
      }),
    );
  } finally {
    client.destroy();
  }
  context.refs.set(logicalId, instanceId);
  return done(logicalId, 'AWS::ServiceDiscovery::Instance', instanceId, false);
}

/**
 * The AppConfig objects are found by name when an earlier run (a persistent emulator) made them,
 * and created otherwise; either way later references resolve to their ID.
 */
async function findOrCreate(
  type: string,
  logicalId: string,
  idAttribute: string,
  context: MutableResolutionContext,
  find: () => Promise<string | undefined>,
  create: () => Promise<string>,
): Promise<ProvisionedResource> {
  const found = await find();
  const id = found ?? (await create());
  context.refs.set(logicalId, id);
  context.attributes.set(`${logicalId}.${idAttribute}`, id);
  return done(logicalId, type, id, found !== undefined);
}

async function provisionApplication(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const client = new AppConfigClient(clients);
  const name = String(properties.Name);
  try {
    return await findOrCreate(
      'AWS::AppConfig::Application',
      logicalId,
      'ApplicationId',
      context,
      // moto answers ListApplications with a 500: then there is nothing to find, create it.
      () =>
        client
          .send(new ListApplicationsCommand({}))
          .then((listed) => listed.Items?.find((item) => item.Name === name)?.Id)
          .catch(() => undefined),
      async () =>
        (
          await client.send(
            new CreateApplicationCommand({
              Name: name,
              Description: properties.Description as string | undefined,
            }),
          )
        ).Id!,
    );
  } finally {
    client.destroy();
  }
}

async function provisionEnvironment(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const client = new AppConfigClient(clients);
  const applicationId = String(properties.ApplicationId);
  const name = String(properties.Name);
  try {
    return await findOrCreate(
      'AWS::AppConfig::Environment',
      logicalId,
      'EnvironmentId',
      context,
      async () =>
        (
          await client.send(new ListEnvironmentsCommand({ ApplicationId: applicationId }))
        ).Items?.find((item) => item.Name === name)?.Id,
      async () =>
        (
          await client.send(
            new CreateEnvironmentCommand({ ApplicationId: applicationId, Name: name }),
          )
        ).Id!,
    );
  } catch (error) {
    // moto has no AppConfig environments (404): the local AppConfigData stand-in takes the
    // environment by name, so the name stands in for the ID.
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404)
      throw error;
    return findOrCreate(
      'AWS::AppConfig::Environment',
      logicalId,
      'EnvironmentId',
      context,
      async () => undefined,
      async () => name,
    );
  } finally {
    client.destroy();
  }
}

async function provisionProfile(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const client = new AppConfigClient(clients);
  const applicationId = String(properties.ApplicationId);
  const name = String(properties.Name);
  try {
    return await findOrCreate(
      'AWS::AppConfig::ConfigurationProfile',
      logicalId,
      'ConfigurationProfileId',
      context,
      async () =>
        (
          await client.send(new ListConfigurationProfilesCommand({ ApplicationId: applicationId }))
        ).Items?.find((item) => item.Name === name)?.Id,
      async () =>
        (
          await client.send(
            new CreateConfigurationProfileCommand({
              ApplicationId: applicationId,
              Name: name,
              LocationUri: String(properties.LocationUri ?? 'hosted'),
              Type: properties.Type as string | undefined,
              Validators: properties.Validators as
                { Type: 'JSON_SCHEMA' | 'LAMBDA'; Content: string }[] | undefined,
            }),
          )
        ).Id!,
    );
  } finally {
    client.destroy();
  }
}

async function provisionHostedVersion(
  logicalId: string,
  properties: Properties,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource> {
  const client = new AppConfigClient(clients);
  try {
    const created = await client.send(
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: String(properties.ApplicationId),
        ConfigurationProfileId: String(properties.ConfigurationProfileId),
        Content: new TextEncoder().encode(String(properties.Content)),
        ContentType: String(properties.ContentType ?? 'application/json'),
      }),
    );
    const version = String(created.VersionNumber ?? 1);
    context.refs.set(logicalId, version);
    return done(logicalId, 'AWS::AppConfig::HostedConfigurationVersion', version, false);
  } finally {
    client.destroy();
  }
}
