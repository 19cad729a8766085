import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { KERNEL_WASM_BASE64 } from '../../src/engine/wasm/inferenceKernelWasm';
import { Rng } from '../../src/engine/rng';

const f = Math.fround;
const bits = new Int32Array(1);
const asFloat = new Float32Array(bits.buffer);

/** f32x4.nearest: round half to even. */
function nearest(v: number): number {
  const fl = Math.floor(v);
  const d = v - fl;
  return d < 0.5 ? fl : d > 0.5 ? fl + 1 : fl % 2 === 0 ? fl : fl + 1;
}

/** simdMath.wat's $exp4 on one lane, each float32 operation rounded as the kernel rounds it. */
function exp4(x: number): number {
  x = Math.min(Math.max(x, -87), 87);
  const n = nearest(f(x * f(1.44269504088896341)));
  const r = f(f(x - f(n * f(0.693359375))) - f(n * f(-2.1219444e-4)));
  let p = f(1.98756915e-4);
  for (const c of [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1])
    p = f(f(p * r) + f(c));
  p = f(f(f(p * f(r * r)) + r) + 1);
  bits[0] = (n + 127) << 23;
  return f(p * asFloat[0]);
}
const sigmoid = (x: number): number => f(1 / f(1 + exp4(-x)));
const tanh = (x: number): number => f(f(2 * sigmoid(f(x + x))) - 1);

test("the inference kernel's lstm_cell is simdMath.wat's sigmoid and tanh, bit for bit", () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const k = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64')), {
    env: { memory },
  }).exports as unknown as {
    lstm_cell(zx: number, zh: number, c: number, h: number, n: number, stride: number): void;
  };
  const mem = new Float32Array(memory.buffer);
  const rng = new Rng(9);
  // Units 12 (a multiple of 4) in gate blocks 16 floats apart: the stride skips padding.
  const n = 12;
  const stride = 16;
  const [zx, zh, c, h] = [0, 4 * stride, 8 * stride, 8 * stride + n];
  for (const scale of [0.1, 1, 4, 30, 200]) {
    for (let i = 0; i < 8 * stride + n; i++) mem[i] = f((rng.next() - 0.5) * 2 * scale);
    const z = (g: number, j: number) => f(mem[zx + g * stride + j] + mem[zh + g * stride + j]);
    const want = Array.from({ length: n }, (_, j) => {
      const cv = f(f(sigmoid(z(1, j)) * mem[c + j]) + f(sigmoid(z(0, j)) * tanh(z(2, j))));
      return { c: cv, h: f(sigmoid(z(3, j)) * tanh(cv)) };
    });
    k.lstm_cell(zx * 4, zh * 4, c * 4, h * 4, n, stride);
    for (let j = 0; j < n; j++) {
      assert.equal(mem[c + j], want[j].c, `scale ${scale}, unit ${j}: c`);
      assert.equal(mem[h + j], want[j].h, `scale ${scale}, unit ${j}: h`);
      // And the model is the math: within float32 rounding of the exact nonlinearities.
      const exact = (1 / (1 + Math.exp(-z(3, j)))) * Math.tanh(want[j].c);
      assert.ok(Math.abs(want[j].h - exact) < 1e-6, `scale ${scale}, unit ${j}: h ${want[j].h} vs ${exact}`);
    }
  }
});
