// Screen rendering: option numbering, automatic pagination and the character budget.

export const CONTINUE = "CON ";
export const END = "END ";
const HOP_MAX_LENGTH = 99;

export interface Page {
  /** Index of the first option on the page. */
  readonly start: number;
  /** Index one past the last option on the page. */
  readonly end: number;
}

/** Length as a handset counts it: code points, not UTF-16 units. */
export function charLength(text: string): number {
  return [...text].length;
}

export function optionLine(index: number, label: string): string {
  return `${index + 1}. ${label}`;
}

/** Joins non-empty parts with newlines (an empty title or absent error adds no blank line). */
export function joinLines(parts: readonly (string | undefined)[]): string {
  return parts.filter((part): part is string => part !== undefined && part !== "").join("\n");
}

function fits(lines: readonly string[], capacity: number): boolean {
  return charLength(joinLines(lines)) <= capacity;
}

/**
 * Splits option lines into pages that fit `capacity` together with the title and, on every page
 * but the last, the "More" line. A page always holds at least one option, even if it overflows
 * (the caller truncates; `defineMenu` reports static screens that would).
 */
export function paginate(
  title: string,
  lines: readonly string[],
  capacity: number,
  moreLine: string,
): Page[] {
  const pages: Page[] = [];
  let start = 0;
  while (start < lines.length) {
    if (fits([title, ...lines.slice(start)], capacity)) {
      pages.push({ start, end: lines.length });
      break;
    }
    let end = start + 1;
    while (
      end < lines.length &&
      fits([title, ...lines.slice(start, end + 1), moreLine], capacity)
    ) {
      end += 1;
    }
    pages.push({ start, end });
    start = end;
  }
  return pages;
}

/** Cuts an answer to the budget; a last resort for dynamic content that is too long. */
export function fitToBudget(answer: string, budget: number): string {
  return charLength(answer) <= budget ? answer : [...answer].slice(0, budget).join("");
}

/** A label for the `at-ussd-hop-metadata` header: no `|`, no control characters, at most 99 chars. */
export function hopLabel(label: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const cleaned = label.replace(/[|\u0000-\u001f\u007f]/g, "-").trim();
  const short = [...cleaned].slice(0, HOP_MAX_LENGTH).join("");
  return short === "" ? "screen" : short;
}
