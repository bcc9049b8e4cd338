import { describe, expect, it } from 'vitest';
import { undescribedProperties } from './schema-descriptions.js';

describe('undescribedProperties', () => {
  it('is empty for a schema described at every depth', () => {
    const schema = {
      type: 'object',
      properties: {
        metadata: { type: 'object' },
        spec: {
          type: 'object',
          description: 'What is wanted.',
          properties: {
            tags: { type: 'array', description: 'Tags.', items: { type: 'string', description: 'One tag.' } },
            labels: {
              type: 'object',
              description: 'Labels.',
              additionalProperties: { type: 'string', description: 'A value.' },
            },
          },
        },
      },
    };
    expect(undescribedProperties(schema, 'Widget')).toEqual([]);
  });

  it('names each property, items and additionalProperties without a description, and a metadata that says more', () => {
    const schema = {
      type: 'object',
      properties: {
        metadata: { type: 'object', properties: { name: { type: 'string' } } },
        spec: {
          type: 'object',
          description: '  ',
          properties: {
            tags: { type: 'array', description: 'Tags.', items: { type: 'string' } },
            labels: { type: 'object', description: 'Labels.', additionalProperties: { type: 'string' } },
            size: { type: 'integer' },
          },
        },
      },
    };
    expect(undescribedProperties(schema, 'Widget')).toEqual([
      'Widget.metadata may only say type: object',
      'Widget.spec',
      'Widget.spec.tags[items]',
      'Widget.spec.labels[additionalProperties]',
      'Widget.spec.size',
    ]);
  });
});
