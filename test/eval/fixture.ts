/** A small, fully populated RunReport shared by the report tests. */
import type { MethodResult, RunReport } from '../../src/eval/report-types.js';

const TASKS = ['mnist', 'fashion', 'kmnist'];

function method(
  id: string,
  label: string,
  accuracies: [number, number, number],
  extra: Partial<MethodResult> = {},
): MethodResult {
  const per_task = Object.fromEntries(
    TASKS.map((task, i) => [task, { accuracy: accuracies[i], loss: 1 - accuracies[i] }]),
  );
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  return {
    method: id,
    label,
    per_task,
    average: { accuracy: mean, loss: 1 - mean },
    model_info: { trainable_params: 0, all_params: 1_234_567 },
    timing: { setup_s: 1.25, adapt_s: 0, eval_s: 2, total_s: 3.25 },
    ...extra,
  };
}

function lossCurve(start: number, steps: number) {
  return Array.from({ length: steps }, (_, i) => ({
    step: i * 10,
    loss: start * Math.exp(-i / 4) + 0.1,
    per_task: { mnist: start * 0.3 * Math.exp(-i / 3), fashion: start * 0.5, kmnist: 0.2 * start },
  }));
}

export function fixtureReport(): RunReport {
  return {
    title: 'Demo <suite> & friends',
    created: '2026-11-27T01:00:00.000Z',
    machine: { cpus: 2, cpu_model: 'Test CPU', node: 'v20.0.0', ort: '1.30.0', platform: 'linux x64' },
    settings: {
      quick: true,
      seed: 42,
      suite: 'built-in suite',
      test_samples_per_task: 256,
      notes: ['Test subsets of 256 images per task.'],
      changed_hyperparameters: [
        { name: 'wemoe.steps', paper: 1000, used: 200, why: 'the 2-minute budget of --quick' },
        { name: 'batch|size', paper: 16, used: 8, why: 'memory' },
      ],
    },
    tasks: TASKS,
    task_labels: { fashion: 'Fashion-MNIST' },
    methods: [
      method('pretrained', 'Pre-trained', [0.5, 0.4, 0.3], { reference: true }),
      method('individual', 'Individual', [0.99, 0.95, 0.97], { reference: true }),
      method('weight_average', 'Weight averaging', [0.7, 0.6, 0.5]),
      method('ties', 'Ties-Merging', [0.8, 0.65, 0.61]),
      method('adamerging_layer', 'AdaMerging (layer-wise)', [0.85, 0.7, 0.6], {
        model_info: { trainable_params: 36, all_params: 1_234_567 },
        timing: { setup_s: 1, adapt_s: 30.5, eval_s: 2, total_s: 33.5 },
        tta: { loss_curve: lossCurve(2, 12) },
      }),
      method('wemoe_depth2', 'WEMoE (depth 2)', [0.98, 0.9, 0.6], {
        model_info: { trainable_params: 7_160_000, all_params: 573_960_000 },
        timing: { setup_s: 2, adapt_s: 60, eval_s: 3, total_s: 65 },
        tta: { loss_curve: lossCurve(2.5, 12) },
        routing: {
          layers: [0, 1],
          experts: TASKS,
          tasks: TASKS,
          mean_weights: [
            [
              [0.9, 0.1, 0.2],
              [0.1, 0.8, 0.3],
              [0.2, 0.2, 0.7],
            ],
            [
              [0.6, -0.1, 0.3],
              [0.3, 0.5, 0.3],
              [0.3, 0.3, 0.4],
            ],
          ],
        },
      }),
    ],
    experiments: {
      generalization: {
        seen: ['mnist', 'fashion'],
        unseen: ['kmnist'],
        methods: [
          {
            method: 'task_arithmetic',
            label: 'Task arithmetic',
            per_task: {
              mnist: { accuracy: 0.8, loss: 0.5 },
              fashion: { accuracy: 0.7, loss: 0.6 },
              kmnist: { accuracy: 0.3, loss: 2 },
            },
            seen_average: { accuracy: 0.75, loss: 0.55 },
            unseen_average: { accuracy: 0.3, loss: 2 },
          },
          {
            method: 'wemoe_depth2',
            label: 'WEMoE (depth 2)',
            per_task: {
              mnist: { accuracy: 0.95, loss: 0.1 },
              fashion: { accuracy: 0.85, loss: 0.3 },
              kmnist: { accuracy: 0.25, loss: 2.5 },
            },
            seen_average: { accuracy: 0.9, loss: 0.2 },
            unseen_average: { accuracy: 0.25, loss: 2.5 },
          },
        ],
      },
      robustness: {
        tasks: ['mnist', 'fashion'],
        severity: 2,
        methods: [
          { method: 'task_arithmetic', label: 'Task arithmetic' },
          { method: 'wemoe_depth2', label: 'WEMoE (depth 2)' },
        ],
        conditions: [
          robustnessRow('clean', 'Clean', 0.8, 0.9),
          robustnessRow('motion_blur', 'Motion blur', 0.6, 0.7),
          robustnessRow('jpeg', 'JPEG', 0.75, 0.7),
        ],
      },
    },
    total_s: 105.3,
  };
}

function robustnessRow(name: string, label: string, ta: number, wemoe: number) {
  const scores = (a: number) => ({
    per_task: { mnist: { accuracy: a + 0.05, loss: 0.5 }, fashion: { accuracy: a - 0.05, loss: 0.7 } },
    average: { accuracy: a, loss: 0.6 },
  });
  return { name, label, results: { task_arithmetic: scores(ta), wemoe_depth2: scores(wemoe) } };
}
