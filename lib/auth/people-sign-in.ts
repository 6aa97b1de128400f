import { CfnOutput, Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  ADMIN_SCOPE,
  AUTH_ENV,
  CONSOLE_CALLBACK_PATH,
  CONSOLE_CLIENT_ID,
  CONSOLE_SCOPES,
} from '../../functions/runtime/contract';
import type { PlatformGateway } from '../gateway/platform-gateway';
import { createPlatformTable } from '../service/platform-table';
import type { PlatformFunction } from '../service/platform-function';

/** The console's scopes (contract): views need `platform/read`, actions `platform/admin`. */
export const CONSOLE_CLIENT_SCOPES = CONSOLE_SCOPES;
/** The admin route that creates users (scope platform/admin, audited). */
export const CREATE_USER_ROUTE = { method: 'POST', resource: '/admin/users' } as const;

export interface PeopleSignInOptions {
  /**
   * The console's exact redirect URIs (compared as whole strings, RFC 9700 §4.1.3).
   * @default - [`<issuer URL>/console/callback`]: the console served by the platform's gateway
   */
  readonly consoleRedirectUris?: string[];
  /**
   * How long one sign-in lasts through refresh-token rotations.
   * @default Duration.hours(8)
   */
  readonly refreshTokenLifetime?: Duration;
}

export interface PeopleSignInProps extends PeopleSignInOptions {
  readonly tokenFunction: PlatformFunction;
  readonly gateway: PlatformGateway;
  readonly issuerUrl: string;
  readonly removalPolicy: RemovalPolicy;
  /** Protects an admin route of the platform's stack; returns its authorizer. */
  readonly protectRoute: (method: string, resource: string, scopes: string[]) => apigw.IAuthorizer;
}

/**
 * People's sign-in on the authorization server: the users table (scrypt password hashes), the
 * grants table (single-use codes, refresh-token families, failed-login counters, all with TTL),
 * the console as a public client with exact redirect URIs, and the public routes
 * `GET|POST /oauth2/authorize` (the login page and its form) served by the token function.
 */
export class PeopleSignIn extends Construct {
  readonly usersTable: dynamodb.Table;
  readonly grantsTable: dynamodb.Table;
  readonly consoleRedirectUris: readonly string[];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: PeopleSignInProps,
  ) {
    super(scope, id);
    this.consoleRedirectUris = props.consoleRedirectUris ?? [
      `${props.issuerUrl}${CONSOLE_CALLBACK_PATH}`,
    ];
    if (this.consoleRedirectUris.length === 0) {
      throw new Error('consoleRedirectUris needs at least one URI');
    }
    this.usersTable = createPlatformTable(this, 'Users', {
      partitionKey: 'username',
      removalPolicy: props.removalPolicy,
    });
    this.grantsTable = createPlatformTable(this, 'Grants', {
      partitionKey: 'pk',
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.removalPolicy,
    });

    const fn = props.tokenFunction.function;
    fn.addEnvironment(AUTH_ENV.usersTableName, this.usersTable.tableName);
    fn.addEnvironment(AUTH_ENV.grantsTableName, this.grantsTable.tableName);
    fn.addEnvironment(
      AUTH_ENV.publicClients,
      JSON.stringify([
        {
          clientId: CONSOLE_CLIENT_ID,
          name: 'Operator console',
          redirectUris: this.consoleRedirectUris,
          scopes: CONSOLE_CLIENT_SCOPES,
        },
      ]),
    );
    fn.addEnvironment(
      AUTH_ENV.refreshTokenTtlSeconds,
      String((props.refreshTokenLifetime ?? Duration.hours(8)).toSeconds()),
    );
    // Sign-in reads users; it never writes them.
    this.usersTable.grant(fn, 'dynamodb:GetItem');
    this.grantsTable.grant(
      fn,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    );
    for (const method of ['GET', 'POST']) {
      props.gateway.addPublicRoute(
        method,
        '/oauth2/authorize',
        fn,
        'Public by design: the OAuth2 authorization endpoint, where people sign in.',
      );
    }
    new CfnOutput(this, 'UsersTableName', { value: this.usersTable.tableName });
  }

  /**
   * Lets the admin function create users through `POST /admin/users` (scope platform/admin):
   * the route, the table's name in its environment and a conditional put on the users table.
   */
  enableUserAdministration(adminFunction: lambda.Function): void {
    adminFunction.addEnvironment(AUTH_ENV.usersTableName, this.usersTable.tableName);
    this.usersTable.grant(adminFunction, 'dynamodb:PutItem');
    const { method, resource } = CREATE_USER_ROUTE;
    this.props.gateway.addRoute(method, resource, adminFunction, {
      authorizer: this.props.protectRoute(method, resource, [ADMIN_SCOPE]),
      apiKeyRequired: true,
    });
  }
}
