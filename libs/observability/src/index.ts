export * from './run-records';
export * from './redaction';
export * from './logger';
export { writeFileAtomically } from './durable-file';
export * from './run-artifacts';
export * from './run-store';
export * from './replay';
export * from './progress';
export * from './metrics';
