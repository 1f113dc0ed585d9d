import '@mantine/charts/styles.css';
import { LineChart } from '@mantine/charts';

export interface SessionPoint {
  session: string;
  attendance: number | null;
}

/** Attendance per held session over the term, with the threshold as a reference line. */
export function SessionTrendChart({ data, threshold }: { data: SessionPoint[]; threshold: number }) {
  return (
    <LineChart
      h={200}
      data={data}
      dataKey="session"
      series={[{ name: 'attendance', label: 'Attendance %', color: 'blue' }]}
      yAxisProps={{ domain: [0, 100] }}
      referenceLines={[{ y: threshold, label: `Threshold ${threshold}%`, color: 'red' }]}
      connectNulls
      curveType="linear"
      data-testid="session-trend-chart"
    />
  );
}
