/** The page's preprocessing (assets/web/preprocess.js) equals wemoe's own, bit for bit. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { preprocess } from '../../src/data/preprocess/clip.js';
import { defaultProcessorConfig, parseProcessorConfig } from '../../src/data/preprocess/config.js';
import { createRandom } from '../../src/data/random.js';
import { preprocessorConfigJson } from '../../src/export/config-files.js';
import { webAssetsDir } from '../../src/export/web-page.js';

interface WebPreprocess {
  preprocess(
    image: { width: number; height: number; data: Uint8Array },
    config: unknown,
  ): { width: number; height: number; pixels: Float32Array };
  rgbFromRgba(rgba: Uint8Array, width: number, height: number): { data: Uint8Array };
}

const web = (await import(pathToFileURL(join(webAssetsDir(), 'preprocess.js')).href)) as WebPreprocess;

const CONFIGS = {
  'CLIP bicubic, shortest edge 32': preprocessorConfigJson(defaultProcessorConfig(32)),
  'bilinear to 20x12, crop 16x16 (padding)': {
    ...preprocessorConfigJson(defaultProcessorConfig(16)),
    size: { height: 12, width: 20 },
    resample: 2,
  },
  'box, no normalisation': {
    ...preprocessorConfigJson(defaultProcessorConfig(24)),
    resample: 4,
    do_normalize: false,
  },
};

describe('the web page preprocessing', () => {
  for (const [name, json] of Object.entries(CONFIGS)) {
    it(`equals wemoe's for ${name}`, () => {
      const config = parseProcessorConfig(json, name);
      const random = createRandom(name.length);
      for (const [width, height] of [
        [57, 40],
        [20, 90],
        [224, 224],
        [9, 13],
      ]) {
        const data = Uint8Array.from({ length: width * height * 3 }, () =>
          Math.floor(random.uniform() * 256),
        );
        const expected = preprocess({ width, height, data }, config);
        const actual = web.preprocess({ width, height, data }, json);
        expect([actual.width, actual.height]).toEqual([config.cropSize.width, config.cropSize.height]);
        expect(actual.pixels).toEqual(expected);
      }
    });
  }

  it('drops alpha from canvas pixels', () => {
    const rgba = Uint8Array.of(1, 2, 3, 255, 4, 5, 6, 0);
    expect([...web.rgbFromRgba(rgba, 2, 1).data]).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
