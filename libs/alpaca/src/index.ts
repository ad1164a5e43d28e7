export * from './alpaca-types';
export * from './credentials';
export * from './alpaca-client';
export * from './fake-alpaca-server';
export { seededUuid } from './seeded-uuid';
