import { describe, expect, it } from 'vitest';
import { niceTicks, renderLossCurveSvg, seriesFromLongCsv } from '../../../bench/loss-curve-svg';

describe('loss curve SVG', () => {
  it('chooses round ticks that cover the range', () => {
    expect(niceTicks(0, 2.3)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(niceTicks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
  });

  it('reads one series per run from the long-format CSV, quoted names included', () => {
    const csv = [
      'run_id,run_name,step,epoch,wall_time_ms,metric,value',
      '1,"resnet, poly",1,1,10,loss,2.5',
      '1,"resnet, poly",1,1,10,accuracy,0.1',
      '1,"resnet, poly",2,1,20,loss,2.0',
      '2,other,1,1,10,loss,3',
    ].join('\r\n');
    const series = seriesFromLongCsv(csv, 'loss');
    expect(series).toEqual([
      { label: 'resnet, poly', x: [1, 2], y: [2.5, 2] },
      { label: 'other', x: [1], y: [3] },
    ]);
  });

  it('draws a polyline per series with escaped labels', () => {
    const svg = renderLossCurveSvg([{ label: 'loss <a&b>', x: [1, 2, 3], y: [2, 1.5, Number.NaN] }], { title: 'T', xLabel: 'step', yLabel: 'loss' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('loss &lt;a&amp;b&gt;');
    expect(svg.match(/<polyline fill="none" stroke="#/g)).toHaveLength(1);
    expect(() => renderLossCurveSvg([{ label: 'x', x: [], y: [] }], { title: '', xLabel: '', yLabel: '' })).toThrow(/no finite points/);
  });
});
