// The parts of ECharts the workbench uses, registered once (keeps the bundle to
// what is drawn: lines with marked epochs, heatmaps, bars, parallel coordinates and scatter with brushing).
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart, ParallelChart, ScatterChart } from 'echarts/charts';
import { BrushComponent, GridComponent, LegendComponent, MarkLineComponent, ParallelComponent, TooltipComponent, VisualMapComponent, DataZoomComponent } from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';

echarts.use([
  LineChart,
  HeatmapChart,
  BarChart,
  ParallelChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  DataZoomComponent,
  ParallelComponent,
  BrushComponent,
  MarkLineComponent,
  CanvasRenderer,
  SVGRenderer,
]);

export { echarts };
