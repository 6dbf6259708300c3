import { resolve } from 'node:path';

/** `../shared/golden` beside the checkout (CI clones main with shared/ beside it); VAD_GOLDEN_DIR overrides. */
export const SHARED_GOLDEN_DIR = process.env['VAD_GOLDEN_DIR'] ?? resolve(__dirname, '../../../../../shared/golden');
export const SHARED_DOCS_DIR = resolve(__dirname, '../../../../../shared/docs');
/** Our own variant cases (tools/golden-variants): other parameters and sizes, same format and references. */
export const VARIANT_GOLDEN_DIR = resolve(__dirname, '../../../../tools/golden-variants/cases');
