// The WebAssembly SIMD kernels (simd-gemm.ts) compile under Node and match plain loops written here: the runtime
// silently keeps its scalar loops when the module fails to compile, so this is what catches a broken module.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Float64Gemm, Int16Depthwise, Int16Gemm } from '../../src/runtime/simd-gemm.js';
import { Rng } from '../helpers/random.js';

test('Int16Depthwise: padded int16 image, strides, dilation, exact int32 sums and fp32 requantization', () => {
  const rng = new Rng(7);
  for (let t = 0; t < 20; t++) {
    const s = {
      inH: rng.int(1, 9), inW: rng.int(1, 9), channels: rng.int(1, 19), filterH: rng.int(1, 3), filterW: rng.int(1, 3),
      strideH: rng.int(1, 2), strideW: rng.int(1, 2), dilationH: rng.int(1, 2), dilationW: rng.int(1, 2), padH: rng.int(0, 2), padW: rng.int(0, 2),
      outH: 0, outW: 0,
    };
    s.outH = Math.max(1, Math.floor((s.inH + 2 * s.padH - (s.filterH - 1) * s.dilationH - 1) / s.strideH) + 1);
    s.outW = Math.max(1, Math.floor((s.inW + 2 * s.padW - (s.filterW - 1) * s.dilationW - 1) / s.strideW) + 1);
    const k = Int16Depthwise.create(s);
    assert.ok(k, 'the SIMD module compiles');
    const C = s.channels;
    const signed = rng.bool(0.5);
    const input = signed ? Int8Array.from(rng.ints(s.inH * s.inW * C, -128, 127)) : Uint8Array.from(rng.ints(s.inH * s.inW * C, 0, 255));
    const inOff = rng.int(-128, 128);
    const wOff = rng.int(-128, 0);
    const w = rng.ints(s.filterH * s.filterW * C, 0, 255);
    k.setWeights(w, wOff);
    k.loadImage(input, 0, signed, inOff);
    k.run();
    const bias = rng.ints(C, -5000, 5000);
    const scales = Array.from({ length: C }, () => Math.fround(rng.float(0.001, 0.01)));
    k.io.bias.set(bias);
    k.io.scales.set(scales);
    const zp = rng.int(-20, 20);
    k.requantize(-100 - zp, 100 - zp, zp);
    for (let oy = 0; oy < s.outH; oy++) {
      for (let ox = 0; ox < s.outW; ox++) {
        for (let c = 0; c < C; c++) {
          let sum = 0;
          for (let fy = 0; fy < s.filterH; fy++) {
            for (let fx = 0; fx < s.filterW; fx++) {
              const iy = oy * s.strideH - s.padH + fy * s.dilationH;
              const ix = ox * s.strideW - s.padW + fx * s.dilationW;
              if (iy < 0 || iy >= s.inH || ix < 0 || ix >= s.inW) continue;
              sum += (input[(iy * s.inW + ix) * C + c] + inOff) * (w[(fy * s.filterW + fx) * C + c] + wOff);
            }
          }
          const px = oy * s.outW + ox;
          assert.equal(k.acc[px * k.cStride + c], sum);
          // fp32 requantization: round half to even of float32(float32(sum + bias) * scale), clamped, plus zp.
          const v = Math.min(Math.max(Math.fround(Math.fround(sum + bias[c]) * scales[c]), -100 - zp), 100 - zp);
          const r = Math.round(v) - (Math.abs(v % 1) === 0.5 && Math.round(v) % 2 !== 0 ? 1 : 0);
          assert.equal((k.io.out[px * C + c] << 24) >> 24, r + zp);
        }
      }
    }
  }
});

test('Int16Gemm: im2col of staged 8-bit input and exact int32 dot products', () => {
  const rng = new Rng(11);
  for (let t = 0; t < 20; t++) {
    const g = {
      inH: rng.int(1, 8), inW: rng.int(1, 8), channels: rng.int(1, 11), filterH: rng.int(1, 3), filterW: rng.int(1, 3),
      strideH: rng.int(1, 2), strideW: rng.int(1, 2), dilationH: 1, dilationW: rng.int(1, 2), padH: rng.int(0, 1), padW: rng.int(0, 1),
      outH: 0, outW: 0,
    };
    g.outH = Math.max(1, Math.floor((g.inH + 2 * g.padH - g.filterH) / g.strideH) + 1);
    g.outW = Math.max(1, Math.floor((g.inW + 2 * g.padW - (g.filterW - 1) * g.dilationW - 1) / g.strideW) + 1);
    const K = g.filterH * g.filterW * g.channels;
    const outC = rng.int(1, 9);
    const gemm = Int16Gemm.create(K, outC, g.outH * g.outW, g.inH * g.inW * g.channels);
    assert.ok(gemm, 'the SIMD module compiles');
    const input = Int8Array.from(rng.ints(g.inH * g.inW * g.channels, -128, 127));
    const w = rng.ints(outC * K, -127, 127);
    gemm.setWeights(w, 0);
    gemm.io.stage(input, 0, input.length);
    gemm.io.im2col(g, gemm.srcAt, gemm.kStride * 2, 0, g.outH, true, 3);
    gemm.run(g.outH * g.outW);
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let oc = 0; oc < outC; oc++) {
          let sum = 0;
          for (let fy = 0; fy < g.filterH; fy++) {
            for (let fx = 0; fx < g.filterW; fx++) {
              const iy = oy * g.strideH - g.padH + fy;
              const ix = ox * g.strideW - g.padW + fx * g.dilationW;
              if (iy < 0 || iy >= g.inH || ix < 0 || ix >= g.inW) continue;
              for (let c = 0; c < g.channels; c++) {
                sum += (input[(iy * g.inW + ix) * g.channels + c] + 3) * w[oc * K + (fy * g.filterW + fx) * g.channels + c];
              }
            }
          }
          assert.equal(gemm.acc[(oy * g.outW + ox) * gemm.accStride + oc], sum);
        }
      }
    }
  }
});

test('Float64Gemm: im2col copies each tap of the float64 image, zeros outside it', () => {
  const rng = new Rng(13);
  for (let t = 0; t < 20; t++) {
    const g = {
      inH: rng.int(1, 8), inW: rng.int(1, 8), channels: rng.int(1, 5), filterH: rng.int(1, 3), filterW: rng.int(1, 3),
      strideH: rng.int(1, 2), strideW: rng.int(1, 2), dilationH: rng.int(1, 2), dilationW: rng.int(1, 2), padH: rng.int(0, 1), padW: rng.int(0, 1),
      outH: 0, outW: 0,
    };
    g.outH = Math.max(1, Math.floor((g.inH + 2 * g.padH - (g.filterH - 1) * g.dilationH - 1) / g.strideH) + 1);
    g.outW = Math.max(1, Math.floor((g.inW + 2 * g.padW - (g.filterW - 1) * g.dilationW - 1) / g.strideW) + 1);
    const K = g.filterH * g.filterW * g.channels;
    const gemm = Float64Gemm.create(K, 3, g.outH * g.outW, g.inH * g.inW * g.channels);
    assert.ok(gemm, 'the SIMD module compiles');
    const image = rng.floats(g.inH * g.inW * g.channels, -1, 1);
    gemm.image.set(image);
    gemm.im2col(g, 0, g.outH);
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        let k = (oy * g.outW + ox) * K;
        for (let fy = 0; fy < g.filterH; fy++) {
          for (let fx = 0; fx < g.filterW; fx++) {
            const iy = oy * g.strideH - g.padH + fy * g.dilationH;
            const ix = ox * g.strideW - g.padW + fx * g.dilationW;
            const inside = iy >= 0 && iy < g.inH && ix >= 0 && ix < g.inW;
            for (let c = 0; c < g.channels; c++, k++) {
              assert.equal(gemm.src[k], inside ? image[(iy * g.inW + ix) * g.channels + c] : 0);
            }
          }
        }
      }
    }
  }
});
