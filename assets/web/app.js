/**
 * The export's web page: loads onnx/model.onnx with onnxruntime-web (WebGPU when the browser has it,
 * WASM otherwise; the runtime's files are the local copy in ort/), preprocesses a picked, dropped or
 * drawn image as preprocessor_config.json says, and shows the top classes per task and, for a WEMoE
 * model, the routing weights per layer. Every number shown is also in a data- attribute (full
 * precision), which the browser test reads.
 */
import * as ort from './ort/ort.webgpu.min.mjs';
import { preprocess, rgbFromRgba } from './preprocess.js';

const TOP = 5;
const $ = (id) => document.getElementById(id);

ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
// Worker threads need cross-origin isolation (`wemoe serve` sends the headers); one thread otherwise.
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;

const [config, processor] = await Promise.all([getJson('config.json'), getJson('preprocessor_config.json')]);
const info = config.wemoe;
const providers = navigator.gpu && (await navigator.gpu.requestAdapter()) ? ['webgpu', 'wasm'] : ['wasm'];
const session = await ort.InferenceSession.create('onnx/model.onnx', {
  executionProviders: providers,
  ...(info.external_data ? { externalData: [{ path: 'model.onnx_data', data: info.external_data }] } : {}),
});
let runs = 0;
$('title').textContent = `${info.kind === 'wemoe' ? 'WEMoE' : 'CLIP'} model: ${info.tasks.map((t) => t.name).join(', ') || 'no heads'}`;
setStatus(`ready (${providers[0]}); pick, drop or draw an image`);
document.body.dataset.ready = 'true';

async function getJson(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

function setStatus(text) {
  $('status').textContent = text;
}

/** Runs the model on an RGB image and shows the results. */
async function classify(image) {
  const { width, height, pixels } = preprocess(image, processor);
  showSeen(pixels, width, height);
  const input = new ort.Tensor('float32', pixels, [1, 3, height, width]);
  const started = performance.now();
  const outputs = await session.run({ pixel_values: input });
  const ms = performance.now() - started;
  if (runs++ === 0) document.body.dataset.firstInferenceMs = ms.toFixed(1);
  setStatus(`inference ${ms.toFixed(1)} ms (${providers[0]})`);
  showTasks(outputs);
  if (outputs.routing_weights) showRouting(outputs.routing_weights);
  document.body.dataset.runs = String(runs);
}

function softmax(logits) {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

function showTasks(outputs) {
  const root = $('tasks');
  root.replaceChildren();
  for (const task of info.tasks) {
    const probabilities = softmax([...outputs[task.output].data]);
    const order = probabilities.map((p, i) => [p, i]).sort((a, b) => b[0] - a[0]).slice(0, TOP);
    const block = element('div', 'task');
    block.dataset.task = task.name;
    block.append(element('h3', '', task.name));
    for (const [p, i] of order) {
      const row = element('div', 'row');
      row.dataset.classIndex = String(i);
      row.dataset.probability = String(p);
      const bar = element('div', 'bar');
      bar.style.width = `${(100 * p).toFixed(1)}%`;
      row.append(element('span', 'name', task.classes[i]), bar, element('span', 'prob', `${(100 * p).toFixed(2)}%`));
      block.append(row);
    }
    root.append(block);
  }
}

/** routing_weights [L, 1, T] as a table: rows = upscaled layers, columns = experts. */
function showRouting(weights) {
  const [layers, , experts] = weights.dims;
  const table = $('routing');
  table.replaceChildren();
  const head = element('tr');
  head.append(element('th', '', 'layer'));
  for (const name of info.router.experts) head.append(element('th', '', name));
  table.append(head);
  // The routers' outputs are not normalised: blue for positive weights, orange for negative ones.
  const largest = Math.max(1e-6, ...[...weights.data].map(Math.abs));
  for (let l = 0; l < layers; l++) {
    const row = element('tr');
    row.append(element('th', '', String(info.router.layers[l])));
    for (let t = 0; t < experts; t++) {
      const w = weights.data[l * experts + t];
      const cell = element('td', '', w.toFixed(2));
      const shade = Math.abs(w) / largest;
      cell.style.background = w >= 0 ? `rgba(51, 102, 204, ${shade})` : `rgba(230, 120, 30, ${shade})`;
      cell.style.color = shade > 0.55 ? '#fff' : '#222';
      cell.dataset.weight = String(w);
      row.append(cell);
    }
    table.append(row);
  }
  $('routing-section').hidden = false;
}

/** The preprocessed image, un-normalised, in the small canvas. */
function showSeen(pixels, width, height) {
  const canvas = $('seen');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  const out = ctx.createImageData(width, height);
  const plane = width * height;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = pixels[c * plane + p] * processor.image_std[c] + processor.image_mean[c];
      out.data[p * 4 + c] = Math.round(255 * v);
    }
    out.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(out, 0, 0);
}

function element(tag, className = '', text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** The file's pixels as decoded, without colour management, as an RGB image. */
async function imageFromFile(file) {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  return rgbFromRgba(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data, bitmap.width, bitmap.height);
}

async function classifyFile(file) {
  try {
    await classify(await imageFromFile(file));
  } catch (error) {
    setStatus(`could not classify ${file.name}: ${error.message ?? error}`);
  }
}

$('file').addEventListener('change', (event) => {
  const file = event.target.files?.[0];
  if (file) classifyFile(file);
});

const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  const file = event.dataTransfer?.files?.[0];
  if (file) classifyFile(file);
});

// Drawing: white strokes on black, thick enough to survive the resize to the model's size.
const draw = $('draw');
const pen = draw.getContext('2d', { willReadFrequently: true });
function clearDrawing() {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, draw.width, draw.height);
}
clearDrawing();
let drawing = false;
const point = (event) => {
  const rect = draw.getBoundingClientRect();
  return [((event.clientX - rect.left) * draw.width) / rect.width, ((event.clientY - rect.top) * draw.height) / rect.height];
};
draw.addEventListener('pointerdown', (event) => {
  drawing = true;
  draw.setPointerCapture(event.pointerId);
  pen.beginPath();
  pen.moveTo(...point(event));
});
draw.addEventListener('pointermove', (event) => {
  if (!drawing) return;
  pen.strokeStyle = '#fff';
  pen.lineWidth = draw.width / 12;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  pen.lineTo(...point(event));
  pen.stroke();
});
const stop = () => {
  if (drawing) classifyDrawing();
  drawing = false;
};
draw.addEventListener('pointerup', stop);
draw.addEventListener('pointerleave', stop);
function classifyDrawing() {
  const { data } = pen.getImageData(0, 0, draw.width, draw.height);
  classify(rgbFromRgba(data, draw.width, draw.height));
}
$('classify-drawing').addEventListener('click', classifyDrawing);
$('clear').addEventListener('click', clearDrawing);
