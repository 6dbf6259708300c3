/**
 * A folder of frames is a video: its image files (JPEG, PNG, WebP) in name order, numbers compared
 * as numbers, so frame_2 comes before frame_10 whether or not the names are zero-padded. One rule
 * for every reader of frame folders (`vad-core fit|score`, `deployer invoke`, the smoke test), so
 * they score the same frames in the same order.
 */
export const FRAME_FILE = /\.(jpe?g|png|webp)$/i;

const nameOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

export function compareFrameNames(a: string, b: string): number {
  return nameOrder.compare(a, b);
}

/** The frame files among a folder's entry names, in frame order. */
export function frameFileNames(names: readonly string[]): string[] {
  return names.filter((n) => FRAME_FILE.test(n)).sort(compareFrameNames);
}
