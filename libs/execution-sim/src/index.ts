export * from './execution-quality';
