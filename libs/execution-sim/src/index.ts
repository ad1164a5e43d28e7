export * from './execution-profile';
export * from './fill-pricing';
export * from './execution-quality';
export * from './simulated-broker';
