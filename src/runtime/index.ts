/** The runtime: compile graphs to cached ONNX Runtime sessions, run them on host tensors, save ONNX files. */
export { CompiledGraph, compile } from './compile.js';
export { fromOrt, toOrt } from './convert.js';
export type { CompileOptions } from './options.js';
export { saveOnnx, writeModelFiles } from './save.js';
