// GSM 03.38 default alphabet plus its extension table (extension characters cost two septets but
// still travel as GSM-7; anything else forces UCS-2 and halves the screen, or is dropped by telcos).
const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION = "\f^{}\\[~]|€";
const GSM7 = new Set([...GSM7_BASIC, ...GSM7_EXTENSION]);

/** The distinct characters of `text` that are not in the GSM-7 alphabet, in order of appearance. */
export function nonGsm7Characters(text: string): string[] {
  return [...new Set([...text].filter((char) => !GSM7.has(char)))];
}
