/** Optimizers (Adam/AdamW), learning-rate schedules, gradient clipping, serializable state. */
export { Adam, type AdamOptions } from './adam.js';
export { clipGradNorm } from './clip.js';
export { type CosineOptions, constantSchedule, cosineSchedule } from './schedule.js';
export type { OptimizerState } from './state.js';
