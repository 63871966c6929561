/** The CLIP vision transformer: config, parameters, checkpoints, the graph model, runner and trainer. */
export * from './checkpoint.js';
export * from './config.js';
export * from './model.js';
export * from './params.js';
export * from './runner.js';
export * from './training.js';
