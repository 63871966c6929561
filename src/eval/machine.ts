/** The machine a run happened on, for the report header (numbers mean little without it). */
import { arch, availableParallelism, cpus, platform } from 'node:os';
import { env } from 'onnxruntime-node';
import type { MachineInfo } from './report-types.js';

export function machineInfo(): MachineInfo {
  const model = cpus()[0]?.model.trim();
  const info: MachineInfo = {
    cpus: availableParallelism(),
    node: process.version,
    ort: env.versions.node ?? env.versions.common,
    platform: `${platform()} ${arch()}`,
  };
  if (model) info.cpu_model = model;
  return info;
}
