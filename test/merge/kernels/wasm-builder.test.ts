import { describe, expect, it } from 'vitest';
import { I32, op, sleb, uleb, wasmModule } from '../../../src/merge/kernels/wasm-builder.js';

describe('wasm builder', () => {
  it('encodes LEB128 as the spec examples', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('emits a module that validates and runs: a loop storing i·4 at address i·4', () => {
    const [n, i] = [0, 1];
    const body = [
      ...[...op.i32Const(0), ...op.set(i), ...op.block, ...op.loop],
      ...[...op.get(i), ...op.get(n), ...op.i32GeU, ...op.brIf(1)],
      ...[...op.get(i), ...op.i32Const(2), ...op.i32Shl, ...op.get(i), ...op.i32Const(2), ...op.i32Shl],
      ...[0x36, 2, 0], // i32.store align 4, offset 0
      ...[...op.get(i), ...op.i32Const(1), ...op.i32Add, ...op.set(i), ...op.br(0), ...op.end, ...op.end],
    ];
    const bytes = wasmModule(1, [{ name: 'fill', params: [I32], locals: [[1, I32]], body }]);
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const memory = new wasm.Memory({ initial: 1, maximum: 1, shared: true });
    const instance = new wasm.Instance(new wasm.Module(bytes), { env: { memory } });
    (instance.exports.fill as (n: number) => void)(5);
    expect(Array.from(new Int32Array(memory.buffer, 0, 6))).toEqual([0, 4, 8, 12, 16, 0]);
  });
});

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number; shared: true }) => { buffer: SharedArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
