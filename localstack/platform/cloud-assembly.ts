import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A CloudFormation template as the CDK writes it. */
export interface Template {
  readonly Resources: Record<string, TemplateResource>;
  readonly Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: string | string[];
}

export interface StackArtifact {
  readonly stackName: string;
  readonly template: Template;
  /** Folder of the cloud assembly; asset paths in metadata are relative to it. */
  readonly assemblyDir: string;
  /** Names of the stacks this one depends on (the app's own ordering). */
  readonly dependencies?: readonly string[];
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    {
      type: string;
      properties?: { templateFile?: string; stackName?: string };
      dependencies?: string[];
    }
  >;
}

/** Reads every stack of a synthesized cloud assembly (`cdk.out`). */
export function readCloudAssembly(assemblyDir: string): StackArtifact[] {
  const manifest = JSON.parse(
    readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8'),
  ) as Manifest;
  const stacks = Object.entries(manifest.artifacts ?? {}).filter(
    ([, artifact]) =>
      artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile,
  );
  const stackNames = new Map(
    stacks.map(([id, artifact]) => [id, artifact.properties?.stackName ?? id]),
  );
  return stacks.map(([id, artifact]) => ({
    stackName: stackNames.get(id)!,
    template: JSON.parse(
      readFileSync(path.join(assemblyDir, artifact.properties!.templateFile!), 'utf8'),
    ) as Template,
    assemblyDir,
    // Asset manifests are artifacts too: keep the stacks only.
    dependencies: (artifact.dependencies ?? [])
      .filter((dependency) => stackNames.has(dependency))
      .map((dependency) => stackNames.get(dependency)!),
  }));
}

export function resourcesOfType(template: Template, type: string): [string, TemplateResource][] {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}
