export * from './execution-profile';
export * from './fee-model';
export * from './fill-pricing';
export * from './execution-quality';
export * from './simulated-broker';
export * from './next-open-fill-broker';
