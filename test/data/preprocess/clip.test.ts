import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../../src/data/image/rgb-image.js';
import {
  centerCrop,
  preprocess,
  preprocessBatch,
  preprocessedSize,
  resizeOutputSize,
  toPixelValues,
} from '../../../src/data/preprocess/clip.js';
import { CLIP_MEAN, CLIP_STD, defaultProcessorConfig } from '../../../src/data/preprocess/config.js';
import { WemoeError } from '../../../src/errors.js';

/** Pixel (x, y) holds [index, x, y] with index = y·width + x, so crops can be read back. */
function indexed(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data.set([y * width + x, x, y], (y * width + x) * 3);
  return { width, height, data };
}

/** The 7×5 pattern of the resample tests. */
function pattern(): RgbImage {
  const image = indexed(7, 5);
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 7; x++) {
      const rgb = [x * 37 + y * 11, x * x * 13 + y * 29, 255 - x * 30 - y * 7].map(
        (v) => ((v % 256) + 256) % 256,
      );
      image.data.set(rgb, (y * 7 + x) * 3);
    }
  }
  return image;
}

describe('resizeOutputSize', () => {
  it('sets the short side and truncates the long side like transformers', () => {
    expect(resizeOutputSize(640, 480, { shortestEdge: 224 })).toEqual([298, 224]); // int(224·640/480) = 298
    expect(resizeOutputSize(480, 640, { shortestEdge: 224 })).toEqual([224, 298]);
    expect(resizeOutputSize(7, 5, { shortestEdge: 4 })).toEqual([5, 4]); // int(5.6)
    expect(resizeOutputSize(100, 100, { shortestEdge: 32 })).toEqual([32, 32]);
    expect(resizeOutputSize(7, 5, { height: 3, width: 2 })).toEqual([2, 3]);
  });
});

describe('centerCrop', () => {
  it('takes top = ⌊(H − h)/2⌋, left = ⌊(W − w)/2⌋ on a non-square image', () => {
    const crop = centerCrop(indexed(9, 4), 4, 2); // left = ⌊5/2⌋ = 2, top = ⌊2/2⌋ = 1
    const xs = Array.from(crop.data.filter((_, i) => i % 3 === 1));
    const ys = Array.from(crop.data.filter((_, i) => i % 3 === 2));
    expect(xs).toEqual([2, 3, 4, 5, 2, 3, 4, 5]);
    expect(ys).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    const odd = centerCrop(indexed(6, 7), 3, 4); // left = ⌊3/2⌋ = 1, top = ⌊3/2⌋ = 1
    expect([odd.data[1], odd.data[2]]).toEqual([1, 1]);
  });

  it('pads with zeros when the image is smaller, as transformers does', () => {
    // 2×2 into 5×4: top = ⌊−2/2⌋ = −1, left = ⌊−3/2⌋ = −2 → the image sits at rows 1–2, columns 2–3.
    const crop = centerCrop(indexed(2, 2), 5, 4);
    const index = (x: number, y: number) => crop.data[(y * 5 + x) * 3];
    const xOf = (x: number, y: number) => crop.data[(y * 5 + x) * 3 + 1];
    expect([index(2, 1), index(3, 1), index(2, 2), index(3, 2)]).toEqual([0, 1, 2, 3]);
    expect(xOf(3, 2)).toBe(1);
    expect(crop.data.reduce((s, v) => s + v, 0)).toBe(0 + 1 + 2 + 3 + 1 + 1 + 1 + 1); // index + x + y of the 4 pixels
  });
});

describe('preprocess', () => {
  it('equals transformers CLIPImageProcessor numerics on the 7×5 pattern (resize 5×4, crop 4×4)', () => {
    // Reference: PIL 9.4 resize((5, 4), BICUBIC), crop [0:4, 0:4], numpy float64 rescale → float32,
    // (x − mean)/std in float32, channels first — the steps of transformers' processor.
    const config = defaultProcessorConfig(4);
    const out = preprocess(pattern(), config);
    expect(out.length).toBe(48);
    expect(Array.from(out.subarray(0, 6))).toEqual([
      -1.6316797733306885, -0.9163569211959839, -0.1426403522491455, 0.6310762763023376, -1.4419002532958984,
      -0.7265773415565491,
    ]);
    expect(Array.from(out.subarray(16, 22))).toEqual([
      -1.662050485610962, -1.2118175029754639, 0.3039672076702118, 0.6041225790977478, -1.1367785930633545,
      -0.641522228717804,
    ]);
    expect(Array.from(out.subarray(32, 38))).toEqual([
      2.0321364402770996, 1.4633339643478394, 0.851871132850647, 0.24040821194648743, 1.9041560888290405,
      1.3353533744812012,
    ]);
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(9.827559659141116, 4);
  });

  it('normalises a constant image to (v/255 − mean)/std per channel', () => {
    const config = defaultProcessorConfig(3);
    const image: RgbImage = { width: 6, height: 4, data: new Uint8Array(6 * 4 * 3).fill(255) };
    const out = preprocess(image, config);
    expect(out.length).toBe(27);
    for (let c = 0; c < 3; c++) {
      for (const v of out.subarray(c * 9, c * 9 + 9))
        expect(v).toBeCloseTo((1 - CLIP_MEAN[c]) / CLIP_STD[c], 5);
    }
  });

  it('with rescale and normalise off, yields the cropped uint8 values channels first', () => {
    const config = {
      ...defaultProcessorConfig(2),
      doResize: false,
      doRescale: false,
      doNormalize: false,
    };
    const out = preprocess(indexed(4, 4), config); // crop 2×2 at (1, 1): indices 5, 6, 9, 10
    expect(Array.from(out)).toEqual([5, 6, 9, 10, 1, 2, 1, 2, 1, 1, 2, 2]);
    expect(preprocessedSize(4, 4, config)).toEqual([2, 2]);
  });
});

describe('preprocessBatch and toPixelValues', () => {
  it('stacks differently sized images into [B, 3, S, S]', () => {
    const config = defaultProcessorConfig(4);
    const batch = preprocessBatch([pattern(), indexed(9, 12)], config);
    expect(batch.shape).toEqual([2, 3, 4, 4]);
    expect(Array.from((batch.data as Float32Array).subarray(0, 48))).toEqual(
      Array.from(preprocess(pattern(), config)),
    );
    expect(() => preprocessBatch([], config)).toThrow(WemoeError);
    const uncropped = { ...config, doCenterCrop: false };
    expect(() => preprocessBatch([pattern(), indexed(9, 12)], uncropped)).toThrow(
      /image 1 \(9x12\) becomes 4x5/,
    );
  });

  it('rescales and normalises a uint8 CHW batch exactly like preprocess of the same pixels', () => {
    const config = defaultProcessorConfig(2);
    const data = Uint8Array.from({ length: 2 * 3 * 2 * 2 }, (_, i) => i * 10);
    const out = toPixelValues({ dtype: 'U8', shape: [2, 3, 2, 2], data }, config);
    expect(out.dtype).toBe('F32');
    expect(out.shape).toEqual([2, 3, 2, 2]);
    // Element 17 is image 1, channel 1 (G), value 170.
    expect(out.data[17]).toBe(
      Math.fround(Math.fround(Math.fround(170 / 255) - Math.fround(CLIP_MEAN[1])) / Math.fround(CLIP_STD[1])),
    );
    const image: RgbImage = { width: 2, height: 2, data: new Uint8Array(12) };
    for (let p = 0; p < 4; p++) for (let c = 0; c < 3; c++) image.data[p * 3 + c] = data[12 + c * 4 + p];
    expect(Array.from((out.data as Float32Array).subarray(12))).toEqual(
      Array.from(preprocess(image, { ...config, doResize: false })),
    );
    expect(() =>
      toPixelValues({ dtype: 'F32', shape: [1, 3, 2, 2], data: new Float32Array(12) }, config),
    ).toThrow(/toPixelValues: batch: expected U8 \[B, 3, H, W\], got F32 \[1, 3, 2, 2\]/);
  });
});
