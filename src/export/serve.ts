/**
 * `wemoe serve`: a static file server for an export folder on localhost. The page cannot run from
 * file:// (browsers refuse to fetch WebAssembly and modules there); the cross-origin isolation headers
 * let onnxruntime-web use worker threads.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WemoeError } from '../errors.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

export interface ServeOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Default 127.0.0.1: the page is for this machine. */
  readonly host?: string;
}

export interface RunningServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Serves `dir` (it must hold index.html, written by `wemoe export --web`). */
export async function serveExport(dir: string, options: ServeOptions = {}): Promise<RunningServer> {
  const root = resolve(dir);
  if (!existsSync(join(root, 'index.html')))
    throw new WemoeError(
      `${dir}: no index.html; export the model with --web first (wemoe export MODEL --out DIR --web)`,
    );
  const server = createServer((request, response) => {
    const file = fileOf(root, request.url ?? '/');
    if (file === undefined || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(response);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((done, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(new WemoeError(`serve: cannot listen on ${host}:${options.port ?? 0} (${e.code ?? e.message})`)),
    );
    server.listen(options.port ?? 0, host, done);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/** The file under `root` that a request path names; undefined for a malformed path or one outside root. */
function fileOf(root: string, url: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return undefined;
  }
  const file = normalize(join(root, path === '/' ? 'index.html' : path));
  return file.startsWith(root + sep) ? file : undefined;
}
