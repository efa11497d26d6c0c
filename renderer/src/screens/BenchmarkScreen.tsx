import { available } from '../api.js';
import { Card, Unavailable } from '../components/ui.js';

export function BenchmarkScreen() {
  if (!available('bench:run')) {
    return (
      <div className="grid">
        <Card title="Benchmark" wide testId="bench-unavailable">
          <p>
            A benchmark runs a model many times under each configuration this machine offers (providers,
            threads, batch sizes), charts the latency distribution and throughput of each, and picks the
            configuration the model will use.
          </p>
          <Unavailable what="Benchmarking" />
        </Card>
      </div>
    );
  }
  return <Unavailable what="Benchmarking" />;
}
