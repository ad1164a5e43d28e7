export * from './bar-view';
export * from './strategy';
export * from './strategy-params';
export * from './sma-crossover';
export * from './bracket-momentum';
export * from './strategy-registry';
export * from './indicators';
