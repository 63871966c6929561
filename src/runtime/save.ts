/** Writing an emitted model (and its external data) to disk, atomically. */
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Value } from '../graph/graph.js';
import { type EmitOptions, type EmittedModel, emitModel } from '../graph/onnx/emit.js';

/** Writes `model` as dir/fileName plus its external data file(s); returns the model's path. */
export function writeModelFiles(dir: string, fileName: string, model: EmittedModel): string {
  mkdirSync(dir, { recursive: true });
  const locations = new Set(model.external.map((c) => c.location));
  for (const location of locations) {
    const dataPath = join(dir, location);
    const fd = openSync(`${dataPath}.tmp`, 'w');
    try {
      for (const { tensor, offset } of model.external.filter((c) => c.location === location)) {
        const bytes = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
        writeSync(fd, bytes, 0, bytes.length, offset);
      }
    } finally {
      closeSync(fd);
    }
    renameSync(`${dataPath}.tmp`, dataPath);
  }
  const path = join(dir, fileName);
  writeFileSync(`${path}.tmp`, model.bytes);
  renameSync(`${path}.tmp`, path);
  return path;
}

/** Saves the values behind `outputs` as a deployable ONNX model at `path` (external data beside it when large). */
export function saveOnnx(
  outputs: Readonly<Record<string, Value>>,
  path: string,
  options: EmitOptions = {},
): string {
  const fileName = path.slice(dirname(path).length + 1);
  const model = emitModel(outputs, { externalFile: `${fileName}.data`, ...options });
  return writeModelFiles(dirname(path), fileName, model);
}
