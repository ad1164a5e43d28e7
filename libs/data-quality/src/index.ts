export * from './data-quality-finding';
