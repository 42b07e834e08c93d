/** Text as a regular expression that matches it literally (every metacharacter escaped). */
export function literalPattern(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
