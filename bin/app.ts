#!/usr/bin/env node
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DemoPlatformStack } from '../lib/demo/demo-platform-stack';

const app = new App();
new DemoPlatformStack(app, 'ServerlessMsaDemo', {
  functionsRoot: path.join(__dirname, '..', 'functions'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
