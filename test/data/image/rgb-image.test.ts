import { describe, expect, it } from 'vitest';
import { imageFromChw, imageIntoChw } from '../../../src/data/image/rgb-image.js';

describe('CHW batch ↔ HWC image', () => {
  it('reads image 1 of a [2, 3, 1, 2] batch channel-planes into interleaved pixels and writes it back', () => {
    // Image 1 planes: R = [10, 11], G = [20, 21], B = [30, 31].
    const batch = Uint8Array.from([0, 0, 0, 0, 0, 0, 10, 11, 20, 21, 30, 31]);
    const image = imageFromChw(batch, 1, 1, 2);
    expect([image.width, image.height]).toEqual([2, 1]);
    expect(Array.from(image.data)).toEqual([10, 20, 30, 11, 21, 31]);
    const copy = new Uint8Array(12);
    imageIntoChw(image, copy, 1);
    expect(Array.from(copy)).toEqual(Array.from(batch));
  });
});
