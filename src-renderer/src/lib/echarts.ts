// The parts of ECharts the workbench uses, registered once (keeps the bundle to
// what is drawn: lines, heatmaps, bars).
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, DataZoomComponent } from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, HeatmapChart, BarChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, DataZoomComponent, CanvasRenderer, SVGRenderer]);

export { echarts };
