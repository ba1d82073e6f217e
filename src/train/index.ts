/** Training: initialisations, run configs, the (S)GD loop with checkpoints, many small runs, straight lines. */
export * from './init';
export * from './config';
export * from './metrics';
export * from './checkpoint';
export * from './train';
export * from './arrays';
export * from './many';
export * from './interpolate';
