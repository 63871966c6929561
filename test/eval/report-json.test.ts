import { describe, expect, it } from 'vitest';
import { checkRunReport } from '../../src/eval/report-check.js';
import { methodReportJson, runReportFromJson, runReportJson } from '../../src/eval/report-json.js';
import { fixtureReport } from './fixture.js';

describe('report.json', () => {
  it('gives one method in FusionBench layout: method, tasks, average, model_info, timing', () => {
    const wemoe = fixtureReport().methods[5];
    const json = methodReportJson(wemoe);
    expect(Object.keys(json)).toEqual([
      'method',
      'mnist',
      'fashion',
      'kmnist',
      'average',
      'model_info',
      'timing',
    ]);
    expect(json.method).toBe('wemoe_depth2');
    expect(json.mnist).toEqual({ accuracy: 0.98, loss: 1 - 0.98 });
    expect(json.model_info).toEqual({
      trainable_params: 7_160_000,
      all_params: 573_960_000,
      trainable_percentage: 7_160_000 / 573_960_000,
    });
    expect(json.timing).toEqual({ setup_s: 2, adapt_s: 60, eval_s: 3, total_s: 65 });
    expect(() => methodReportJson(wemoe, ['mnist', 'svhn'])).toThrow(
      /method "wemoe_depth2" has no score for task "svhn"/,
    );
  });

  it('keeps every method under "methods" by id, with labels and curves under "details"', () => {
    const json = runReportJson(fixtureReport());
    expect(json.format).toBe('wemoe-report/1');
    expect(Object.keys(json.methods)).toEqual([
      'pretrained',
      'individual',
      'weight_average',
      'ties',
      'adamerging_layer',
      'wemoe_depth2',
    ]);
    expect((json.methods.ties.average as { accuracy: number }).accuracy).toBeCloseTo(
      (0.8 + 0.65 + 0.61) / 3,
      12,
    );
    expect(json.details.individual).toEqual({ label: 'Individual', reference: true });
    expect(json.details.wemoe_depth2.routing?.mean_weights[1][0]).toEqual([0.6, -0.1, 0.3]);
    expect(json.experiments?.robustness?.conditions.map((c) => c.name)).toEqual([
      'clean',
      'motion_blur',
      'jpeg',
    ]);
  });

  it('reads back to the same report', () => {
    const report = fixtureReport();
    const text = JSON.stringify(runReportJson(report));
    expect(runReportFromJson(JSON.parse(text), 'out/report.json')).toEqual(report);
  });

  it('names the file and the place of a malformed report.json', () => {
    const json = JSON.parse(JSON.stringify(runReportJson(fixtureReport())));
    json.methods.ties.average.accuracy = 'high';
    expect(() => runReportFromJson(json, 'out/report.json')).toThrow(
      /^out\/report\.json: methods\.ties\.average\.accuracy: /,
    );
    const missingTask = JSON.parse(JSON.stringify(runReportJson(fixtureReport())));
    delete missingTask.methods.ties.kmnist;
    expect(() => runReportFromJson(missingTask, 'r.json')).toThrow(
      /r\.json: methods\.ties\.kmnist: expected/,
    );
    expect(() => runReportFromJson({ methods: {} }, 'r.json')).toThrow(/r\.json: format: .*wemoe-report\/1/);
  });
});

describe('report consistency checks', () => {
  it('accepts the fixture', () => {
    expect(checkRunReport(fixtureReport()).tasks).toEqual(['mnist', 'fashion', 'kmnist']);
  });

  it('rejects a method without a score for a task', () => {
    const report = fixtureReport();
    delete report.methods[3].per_task.kmnist;
    expect(() => checkRunReport(report)).toThrow(
      /^report: methods\[3\] "ties"\.per_task\.kmnist: is missing$/,
    );
  });

  it('rejects duplicate method ids, reserved task names and accuracies outside [0, 1]', () => {
    const duplicate = fixtureReport();
    duplicate.methods[2].method = 'ties';
    expect(() => checkRunReport(duplicate)).toThrow(/methods: has "ties" twice/);
    const reserved = fixtureReport();
    reserved.tasks = ['average'];
    expect(() => checkRunReport(reserved)).toThrow(/tasks: "average" is reserved/);
    const percentNotFraction = fixtureReport();
    percentNotFraction.methods[0].average.accuracy = 40;
    expect(() => checkRunReport(percentNotFraction)).toThrow(/average\.accuracy: is 40, expected \[0, 1\]/);
  });

  it('rejects routing weights whose shape disagrees with layers, tasks or experts', () => {
    const report = fixtureReport();
    report.methods[5].routing!.mean_weights[1].pop();
    expect(() => checkRunReport(report)).toThrow(
      /routing\.mean_weights\[1\]: has 2 task rows, expected 3 \(routing\.tasks\)/,
    );
    const nan = fixtureReport();
    nan.methods[5].routing!.mean_weights[0][2][1] = Number.NaN;
    expect(() => checkRunReport(nan)).toThrow(
      /mean_weights\[0\]\[2\]\[1\]: is NaN, expected a finite number/,
    );
  });

  it("keeps the attention routers' summary beside the MLP routers' and checks its shape", () => {
    const report = fixtureReport();
    const wemoe = report.methods[5];
    wemoe.attention_routing = {
      ...wemoe.routing!,
      layers: [1],
      mean_weights: [wemoe.routing!.mean_weights[0]],
    };
    const json = runReportJson(report);
    expect(json.details.wemoe_depth2.attention_routing?.layers).toEqual([1]);
    const back = runReportFromJson(JSON.parse(JSON.stringify(json)), 'report.json');
    expect(back.methods[5].attention_routing).toEqual(wemoe.attention_routing);
    expect(back.methods[5].routing).toEqual(wemoe.routing);
    wemoe.attention_routing.mean_weights.push(wemoe.routing!.mean_weights[1]);
    expect(() => checkRunReport(report)).toThrow(
      /attention_routing\.mean_weights: has 2 layers, expected 1 \(attention_routing\.layers\)/,
    );
  });

  it('rejects a robustness condition without a result for a method', () => {
    const report = fixtureReport();
    delete report.experiments!.robustness!.conditions[2].results.wemoe_depth2;
    expect(() => checkRunReport(report)).toThrow(/condition "jpeg" method "wemoe_depth2": has no result/);
  });
});
