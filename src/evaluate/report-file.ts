// The HTML report written to a file (Node); report-html.ts renders it and runs in browsers too.

import type { ComparisonResult } from './compare.js';
import { renderReportHtml, type ReportOptions } from './report-html.js';
import { writeFileAtomicSync } from '../util/atomic-write.js';

/** Writes the report atomically (a temporary file in the same folder, then renamed: see util/atomic-write.ts). */
export function writeReportHtml(file: string, result: ComparisonResult, opts: ReportOptions = {}): void {
  writeFileAtomicSync(file, renderReportHtml(result, opts));
}
