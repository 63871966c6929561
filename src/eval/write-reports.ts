/** Writing report.json, report.md and report.html into a folder, each via a temporary file and a rename. */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WemoeError } from '../errors.js';
import { checkRunReport } from './report-check.js';
import { renderHtml } from './report-html.js';
import { runReportFromJson, runReportJson } from './report-json.js';
import { renderMarkdown } from './report-markdown.js';
import type { RunReport } from './report-types.js';

export interface ReportPaths {
  json: string;
  md: string;
  html: string;
}

/** Writes `text` to `path` so that readers never see a half-written file. */
export function writeFileAtomic(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new WemoeError(`${path}: could not write the report (${reason})`);
  }
}

/** Renders all three reports (checked first, so nothing is written for an inconsistent report). */
export function writeReports(dir: string, report: RunReport): ReportPaths {
  checkRunReport(report);
  const json = `${JSON.stringify(runReportJson(report), null, 2)}\n`;
  const md = renderMarkdown(report);
  const html = renderHtml(report);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WemoeError(`${dir}: could not create the report folder (${reason})`);
  }
  const paths: ReportPaths = {
    json: join(dir, 'report.json'),
    md: join(dir, 'report.md'),
    html: join(dir, 'report.html'),
  };
  writeFileAtomic(paths.json, json);
  writeFileAtomic(paths.md, md);
  writeFileAtomic(paths.html, html);
  return paths;
}

/** Reads a run's report.json back, e.g. to add an experiment and render again. */
export function readReport(path: string): RunReport {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new WemoeError(`${path}: could not read the report (${reason})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new WemoeError(`${path}: not valid JSON (${error instanceof Error ? error.message : error})`);
  }
  return runReportFromJson(value, path);
}
