export * from './risk-types';
