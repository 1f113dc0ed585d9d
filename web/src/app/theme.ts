import {
  createTheme,
  defaultVariantColorsResolver,
  parseThemeColor,
  type CSSVariablesResolver,
  type VariantColorsResolver,
} from '@mantine/core';
import { CANVAS_VAR, onFilledVar } from '../lib/colors.js';

/**
 * Colours readable by everyone (WCAG AA): Mantine's default shades put white text on teal-6 at
 * 2.6:1, yellow-6 at 1.9:1, and grey "dimmed" text at 3.3:1. Rather than pick shades by hand in
 * every component, the theme derives, for each palette and colour scheme, the shades its
 * variables point at (filled backgrounds and the text on them, coloured text, outlines, dimmed,
 * error and link text) from measured contrast, so every `color="…"` in the app is readable.
 */

/** WCAG AA asks 4.5:1 for text; a little more keeps rounding and anti-aliasing on the safe side. */
export const MIN_CONTRAST = 4.6;

const WHITE = '#ffffff';
const BLACK = '#000000';

type Rgb = [number, number, number];

function toRgb(hex: string): Rgb {
  const digits = hex.replace('#', '');
  const n = Number.parseInt(digits.length === 3 ? [...digits].map((d) => d + d).join('') : digits, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex([r, g, b]: Rgb): string {
  return `#${[r, g, b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;
}

function luminance(hex: string): number {
  const [r, g, b] = toRgb(hex).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two `#rrggbb` colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `from` moved towards `to` by `t` (0 = from, 1 = to); also how `to` at opacity `t` looks over `from`. */
function mix(from: string, to: string, t: number): string {
  const a = toRgb(from);
  const b = toRgb(to);
  return toHex([0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t) as Rgb);
}

/** The first candidate readable on `background`, else the last one moved towards `extreme` until it is. */
function readableOn(background: string, candidates: string[], extreme: string): string {
  for (const c of candidates) if (contrastRatio(c, background) >= MIN_CONTRAST) return c;
  const last = candidates[candidates.length - 1];
  for (let t = 0.02; t < 1; t += 0.02) {
    const c = mix(last, extreme, t);
    if (contrastRatio(c, background) >= MIN_CONTRAST) return c;
  }
  return extreme;
}

/**
 * A filled background and the text on it: white text on the first shade (from `from` on) dark
 * enough for it, else on the darkest shade deepened a little; where white can never read well
 * (yellow, lime), black text on the usual shade.
 */
function filled(shades: readonly string[], from: number): { background: string; text: string } {
  for (let i = from; i < shades.length; i++) if (contrastRatio(WHITE, shades[i]) >= MIN_CONTRAST) return { background: shades[i], text: WHITE };
  for (let t = 0.05; t <= 0.2; t += 0.05) {
    const deeper = mix(shades[shades.length - 1], BLACK, t);
    if (contrastRatio(WHITE, deeper) >= MIN_CONTRAST) return { background: deeper, text: WHITE };
  }
  return { background: shades[from], text: BLACK };
}

const LIGHT_SHADE = 6;
const DARK_SHADE = 8;

/** One palette's variables in one scheme: its readable coloured text and its filled look. */
function paletteVars(name: string, text: string, fill: { background: string; text: string }): Record<string, string> {
  return {
    [`--mantine-color-${name}-text`]: text,
    [`--mantine-color-${name}-light-color`]: text,
    [`--mantine-color-${name}-outline`]: text,
    [`--mantine-color-${name}-filled`]: fill.background,
    [`--mantine-color-${name}-filled-hover`]: mix(fill.background, BLACK, 0.1),
    [onFilledVar(name)]: fill.text,
  };
}

/** Every readable-colour variable for both schemes, computed once from the palettes. */
export const cssVariablesResolver: CSSVariablesResolver = (theme) => {
  const light: Record<string, string> = {};
  const dark: Record<string, string> = {};
  for (const [name, shades] of Object.entries(theme.colors)) {
    // Light: coloured text sits on white or on the palette's 10% tint (light variants), darker shades first.
    const lightTint = mix(theme.white, shades[LIGHT_SHADE], 0.1);
    Object.assign(light, paletteVars(name, readableOn(lightTint, shades.slice(LIGHT_SHADE), BLACK), filled(shades, LIGHT_SHADE)));
    // Dark: on dark-7 or on the palette's 15% tint of it, lighter shades first.
    const darkTint = mix(theme.colors.dark[7], shades[DARK_SHADE - 2], 0.15);
    Object.assign(dark, paletteVars(name, readableOn(darkTint, [...shades.slice(0, 5)].reverse(), WHITE), filled(shades, DARK_SHADE)));
  }
  const primary = theme.primaryColor;
  Object.assign(light, {
    // Grey secondary text stays grey, just dark enough on the lightest grey surfaces too.
    '--mantine-color-dimmed': readableOn(theme.colors.gray[1], [theme.colors.gray[6]], BLACK),
    '--mantine-color-error': 'var(--mantine-color-red-text)',
    '--mantine-color-anchor': `var(--mantine-color-${primary}-text)`,
    '--mantine-primary-color-contrast': `var(${onFilledVar(primary)})`,
    [CANVAS_VAR]: theme.colors.gray[0],
  });
  Object.assign(dark, {
    '--mantine-color-dimmed': readableOn(theme.colors.dark[6], [theme.colors.dark[2]], WHITE),
    '--mantine-color-error': 'var(--mantine-color-red-text)',
    '--mantine-color-anchor': `var(--mantine-color-${primary}-text)`,
    '--mantine-primary-color-contrast': `var(${onFilledVar(primary)})`,
    [CANVAS_VAR]: theme.colors.dark[8],
  });
  return { variables: {}, light, dark };
};

/** Filled buttons, badges and icons take the text colour computed for their background. */
const variantColorResolver: VariantColorsResolver = (input) => {
  const colors = defaultVariantColorsResolver(input);
  if (input.variant !== 'filled') return colors;
  const parsed = parseThemeColor({ color: input.color || input.theme.primaryColor, theme: input.theme });
  if (!parsed.isThemeColor || parsed.shade !== undefined) return colors;
  return { ...colors, color: `var(${onFilledVar(parsed.color)})` };
};

export const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  variantColorResolver,
  components: {
    // Links inside text must not be told apart by colour alone (WCAG 1.4.1): always underlined.
    Anchor: { defaultProps: { underline: 'always' } },
  },
});
