import { useStudio } from '../state/store';

export function DeviceBadge() {
  const device = useStudio((s) => s.device);
  const webgpu = useStudio((s) => s.webgpu);
  if (!device) return <div className="badge muted">{webgpu === 'checking' ? 'Starting WebGPU…' : 'No GPU'}</div>;
  const name = [device.vendor, device.architecture].filter(Boolean).join(' · ') || 'GPU';
  return (
    <div className={`badge ${device.isFallback ? 'warn' : 'ok'}`} data-testid="device-badge" title={device.description}>
      {name} <span className="sub">{device.isFallback ? 'software fallback' : 'hardware GPU'}</span>
    </div>
  );
}

export function DeviceCard() {
  const device = useStudio((s) => s.device);
  if (!device) return null;
  return (
    <div className="card" data-testid="device-card">
      <h3>Device</h3>
      <dl className="kv">
        <dt>Adapter</dt><dd>{[device.vendor, device.architecture, device.description].filter(Boolean).join(' ') || 'unknown'}</dd>
        <dt>Kind</dt><dd>{device.isFallback ? 'Software (CPU) fallback: timings are not GPU timings' : 'Hardware GPU'}</dd>
        <dt>Timing</dt><dd>{device.hasTimestamps ? 'GPU timestamp queries' : 'wall clock'}</dd>
        <dt>Pipelines</dt><dd>{device.pipelineCompiles} compiled</dd>
      </dl>
      <div className="chips">
        {[['timestamp-query', device.hasTimestamps], ['subgroups', device.hasSubgroups], ['shader-f16', device.hasF16], ['dot4I8Packed', device.hasDot4I8]].map(([n, on]) => (
          <span key={String(n)} className={`chip ${on ? 'on' : 'off'}`}>{on ? '✓' : '✗'} {n}</span>
        ))}
      </div>
    </div>
  );
}
