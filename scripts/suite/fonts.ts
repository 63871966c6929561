/**
 * The font files behind the rendered tasks, per script and split. Test fonts are never used for
 * training; metric clones of one design (Nimbus Sans / FreeSans / Liberation Sans, ...) stay on the
 * same side. Every face is registered from its file under its own alias, so nothing falls back to a
 * system font silently; each listed file was checked (fc-list :charset) to cover all of its classes.
 */
import { basename } from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';
import { WemoeError } from '../../src/errors.js';
import { requireSystemFile } from '../../src/util/system-deps.js';

export type Script = 'latin' | 'greek' | 'kana';
export type Split = 'train' | 'test';

const DEJAVU = '/usr/share/fonts/truetype/dejavu/';
const LIBERATION = '/usr/share/fonts/truetype/liberation/';
const FREE = '/usr/share/fonts/truetype/freefont/';
const NOTO = '/usr/share/fonts/truetype/noto/';
const NOTO_CJK = '/usr/share/fonts/opentype/noto/';
const URW = '/usr/share/fonts/opentype/urw-base35/';
const LATO = '/usr/share/fonts/truetype/lato/';
const IPA_GOTHIC = '/usr/share/fonts/opentype/ipafont-gothic/';
const IPA_MINCHO = '/usr/share/fonts/opentype/ipafont-mincho/';
const VL = '/usr/share/fonts/truetype/vlgothic/';

/** Western designs seen in training (Latin and Greek share them; all cover Greek lower case). */
const WESTERN_TRAIN = [
  `${DEJAVU}DejaVuSans.ttf`,
  `${DEJAVU}DejaVuSans-Bold.ttf`,
  `${DEJAVU}DejaVuSans-Oblique.ttf`,
  `${DEJAVU}DejaVuSansCondensed-Bold.ttf`,
  `${DEJAVU}DejaVuSerif.ttf`,
  `${DEJAVU}DejaVuSerif-Bold.ttf`,
  `${DEJAVU}DejaVuSerifCondensed-Italic.ttf`,
  `${DEJAVU}DejaVuSansMono.ttf`,
  `${DEJAVU}DejaVuSansMono-Bold.ttf`,
  `${LIBERATION}LiberationSans-Regular.ttf`,
  `${LIBERATION}LiberationSans-Bold.ttf`,
  `${LIBERATION}LiberationSerif-Regular.ttf`,
  `${LIBERATION}LiberationSerif-BoldItalic.ttf`,
  `${LIBERATION}LiberationMono-Regular.ttf`,
  `${LIBERATION}LiberationSansNarrow-Bold.ttf`,
  `${FREE}FreeSans.ttf`,
  `${FREE}FreeSerifBold.ttf`,
  `${FREE}FreeMonoBold.ttf`,
  `${URW}NimbusSans-Regular.otf`,
  `${URW}NimbusRoman-Bold.otf`,
  `${URW}NimbusMonoPS-Bold.otf`,
  `${NOTO}NotoSans-Regular.ttf`,
  `${NOTO}NotoSans-Bold.ttf`,
  `${NOTO}NotoSerif-Italic.ttf`,
  `${NOTO}NotoSansDisplay-Bold.ttf`,
  `${URW}URWBookman-Light.otf`,
  `${URW}URWBookman-Demi.otf`,
  `${URW}C059-Roman.otf`,
  `${URW}C059-Bold.otf`,
];

/** Western designs held out for the test split. */
const WESTERN_TEST = [
  `${LATO}Lato-Regular.ttf`,
  `${LATO}Lato-Bold.ttf`,
  `${LATO}Lato-Black.ttf`,
  `${LATO}Lato-Light.ttf`,
  `${LATO}Lato-Italic.ttf`,
  `${URW}P052-Roman.otf`,
  `${URW}P052-Bold.otf`,
  `${URW}P052-Italic.otf`,
  `${URW}URWGothic-Book.otf`,
  `${URW}URWGothic-Demi.otf`,
  `${URW}URWGothic-BookOblique.otf`,
  `${VL}VL-Gothic-Regular.ttf`,
  `${IPA_GOTHIC}ipag.ttf`,
  `${IPA_MINCHO}ipam.ttf`,
];

/** Japanese designs: Noto CJK (face 0 of each collection is JP) and IPA Gothic train, IPA Mincho and VL Gothic test. */
const KANA_TRAIN = [
  `${NOTO_CJK}NotoSansCJK-Regular.ttc`,
  `${NOTO_CJK}NotoSansCJK-Bold.ttc`,
  `${NOTO_CJK}NotoSerifCJK-Regular.ttc`,
  `${NOTO_CJK}NotoSerifCJK-Bold.ttc`,
  `${IPA_GOTHIC}ipag.ttf`,
  `${IPA_GOTHIC}ipagp.ttf`,
];
const KANA_TEST = [
  `${IPA_MINCHO}ipam.ttf`,
  `${IPA_MINCHO}ipamp.ttf`,
  `${VL}VL-Gothic-Regular.ttf`,
  `${VL}VL-PGothic-Regular.ttf`,
];

const FONT_FILES: Record<Script, Record<Split, readonly string[]>> = {
  latin: { train: WESTERN_TRAIN, test: WESTERN_TEST },
  greek: { train: WESTERN_TRAIN, test: WESTERN_TEST },
  kana: { train: KANA_TRAIN, test: KANA_TEST },
};

export function fontFiles(script: Script, split: Split): readonly string[] {
  return FONT_FILES[script][split];
}

const registered = new Map<string, string>();

/** Registers a font file (once) under its own alias and returns the alias. */
export function fontAlias(file: string): string {
  const known = registered.get(file);
  if (known) return known;
  requireSystemFile('suite-fonts', file);
  const alias = `suite-${basename(file).replace(/\.[a-z]+$/, '')}`;
  if (!GlobalFonts.registerFromPath(file, alias))
    throw new WemoeError(`${file}: canvas could not load this font`);
  registered.set(file, alias);
  return alias;
}

/** Registers the files of one script and split; returns their family aliases in list order. */
export function loadFonts(script: Script, split: Split): string[] {
  return fontFiles(script, split).map(fontAlias);
}
