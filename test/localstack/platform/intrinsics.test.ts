import { describe, expect, it } from 'vitest';
import {
  resolveString,
  resolveValue,
  UnresolvableError,
  type ResolutionContext,
} from '../../../localstack/platform/intrinsics';

const context: ResolutionContext = {
  region: 'eu-west-1',
  accountId: '123456789012',
  stackName: 'Demo',
  refs: new Map([['Table', 'demo-table']]),
  attributes: new Map([['Fn.Arn', 'arn:aws:lambda:eu-west-1:123456789012:function:fn']]),
  parameters: new Map([['Stage', 'dev']]),
  exports: new Map([['SharedTable', 'shared-table']]),
};

describe('resolving intrinsic functions', () => {
  it('resolves Ref to resources, parameters and pseudo parameters', () => {
    expect(resolveValue({ Ref: 'Table' }, context)).toBe('demo-table');
    expect(resolveValue({ Ref: 'Stage' }, context)).toBe('dev');
    expect(resolveValue({ Ref: 'AWS::Region' }, context)).toBe('eu-west-1');
    expect(resolveValue({ Ref: 'AWS::AccountId' }, context)).toBe('123456789012');
    expect(resolveValue({ Ref: 'AWS::Partition' }, context)).toBe('aws');
    expect(resolveValue({ Ref: 'AWS::StackName' }, context)).toBe('Demo');
  });

  it('resolves Fn::GetAtt in both its array and dotted forms', () => {
    expect(resolveValue({ 'Fn::GetAtt': ['Fn', 'Arn'] }, context)).toBe(
      'arn:aws:lambda:eu-west-1:123456789012:function:fn',
    );
    expect(resolveValue({ 'Fn::GetAtt': 'Fn.Arn' }, context)).toBe(
      'arn:aws:lambda:eu-west-1:123456789012:function:fn',
    );
  });

  it('resolves Fn::Join, Fn::Select, Fn::Split and Fn::ImportValue, nested', () => {
    const value = {
      'Fn::Join': [
        ':',
        [
          { 'Fn::Select': [1, { 'Fn::Split': ['/', 'a/b/c'] }] },
          { Ref: 'Table' },
          { 'Fn::ImportValue': 'SharedTable' },
        ],
      ],
    };
    expect(resolveString(value, context)).toBe('b:demo-table:shared-table');
  });

  it('resolves Fn::Sub with pseudo parameters, attributes, variables and escaped ${!literals}', () => {
    expect(
      resolveString({ 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${Table}' }, context),
    ).toBe('arn:aws:x:eu-west-1:demo-table');
    expect(
      resolveString(
        { 'Fn::Sub': ['${Name}/${Fn.Arn}/${!Keep}', { Name: { Ref: 'Table' } }] },
        context,
      ),
    ).toBe('demo-table/arn:aws:lambda:eu-west-1:123456789012:function:fn/${Keep}');
  });

  it('drops properties whose value is Ref AWS::NoValue', () => {
    expect(
      resolveValue(
        { A: 'x', B: { Ref: 'AWS::NoValue' }, C: ['y', { Ref: 'AWS::NoValue' }] },
        context,
      ),
    ).toEqual({ A: 'x', C: ['y'] });
  });

  it('fails with a message naming what has no local value', () => {
    expect(() => resolveValue({ Ref: 'Missing' }, context)).toThrow(
      new UnresolvableError('Ref Missing has no local value'),
    );
    expect(() => resolveValue({ 'Fn::GetAtt': ['Fn', 'Nope'] }, context)).toThrow(
      /Fn::GetAtt Fn.Nope/,
    );
    expect(() => resolveValue({ 'Fn::ImportValue': 'Nope' }, context)).toThrow(
      /No stack exports 'Nope'/,
    );
    expect(() => resolveValue({ 'Fn::If': ['C', 'a', 'b'] }, context)).toThrow(
      /Fn::If is not supported/,
    );
    expect(() => resolveValue({ 'Fn::Select': [5, ['a']] }, context)).toThrow(/out of range/);
  });
});
