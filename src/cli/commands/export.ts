import type { Command } from 'commander';
import { WemoeError } from '../../errors.js';
import { exportModelFolder } from '../../export/export-model.js';
import type { ExportDType } from '../../export/onnx-file.js';

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write a model folder (CLIP vision, merged, or WEMoE) as a standalone ONNX model that ONNX Runtime and transformers.js load',
    )
    .argument('<model>', 'model folder (config.json + model.safetensors)')
    .requiredOption('--out <dir>', 'output folder: onnx/model.onnx, config.json, preprocessor_config.json')
    .option('--heads <file>', 'heads.safetensors: adds logits_<task> outputs')
    .option('--dtype <dtype>', 'stored weights: f32 or f16 (inputs and outputs stay float32)', 'f32')
    .option('--web', 'also write a static web page that runs the model (open it with wemoe serve)')
    .action((model: string, o: { out: string; heads?: string; dtype: string; web?: boolean }) => {
      if (o.dtype !== 'f32' && o.dtype !== 'f16')
        throw new WemoeError(`export: --dtype ${o.dtype}: expected f32 or f16`);
      const result = exportModelFolder(model, { ...o, dtype: o.dtype as ExportDType });
      const mb = (result.weightBytes / 1e6).toFixed(1);
      process.stdout.write(
        `${result.onnx}: ${result.outputs.join(', ')}; ${mb} MB of ${o.dtype} weights${result.externalData ? ' (external data)' : ''}; ${result.seconds.toFixed(1)} s\n`,
      );
      if (o.web) process.stdout.write(`web page: wemoe serve ${o.out}\n`);
    });
}
