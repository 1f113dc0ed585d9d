import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';

export interface ReportBucket {
  bucket: string;
  students: number;
  color: string;
}

/** How many students fall in each percentage band (recharts: loaded only when a report is shown). */
export function ReportChart({ data }: { data: ReportBucket[] }) {
  return (
    <BarChart
      h={200}
      data={data}
      dataKey="bucket"
      series={[{ name: 'students', label: 'Students', color: 'blue' }]}
      withBarValueLabel
      yAxisProps={{ allowDecimals: false }}
      tickLine="y"
      maxBarWidth={56}
      data-testid="report-chart"
    />
  );
}
