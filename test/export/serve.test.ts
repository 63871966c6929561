import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serveExport } from '../../src/export/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'wemoe-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const site = join(dir, 'site');
mkdirSync(join(site, 'ort'), { recursive: true });
writeFileSync(join(site, 'index.html'), '<!doctype html><title>x</title>');
writeFileSync(join(site, 'ort', 'a.wasm'), Uint8Array.of(0, 97, 115, 109));
writeFileSync(join(dir, 'secret.txt'), 'outside');

/** A raw GET (no URL normalisation by the client), status, headers and body. */
function get(
  url: string,
  path: string,
): Promise<{ status: number; type?: string; coop?: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(new URL(url), { path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers['content-type'],
          coop: response.headers['cross-origin-opener-policy'] as string | undefined,
          body,
        }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('wemoe serve', () => {
  it('serves the folder on localhost with cross-origin isolation, and nothing outside it', async () => {
    const server = await serveExport(site);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const index = await get(server.url, '/');
      expect(index).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', coop: 'same-origin' });
      expect(index.body).toContain('<title>x</title>');
      expect((await get(server.url, '/ort/a.wasm')).type).toBe('application/wasm');
      expect((await get(server.url, '/missing.js')).status).toBe(404);
      const escaped = await get(server.url, '/..%2fsecret.txt');
      expect(escaped.status).toBe(404);
      expect(escaped.body).not.toContain('outside');
      expect((await get(server.url, '/%E0%A4%A')).status).toBe(404); // malformed: no crash
      expect((await get(server.url, '/')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses a folder without the page', async () => {
    await expect(serveExport(dir)).rejects.toThrow(
      `${dir}: no index.html; export the model with --web first (wemoe export MODEL --out DIR --web)`,
    );
  });
});
