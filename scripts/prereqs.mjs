// Checks (and, as root with apt, installs) what the tests and the studio need outside npm.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { chromiumPath } from './chromium.mjs';

const NEEDS = [
  { pkg: 'chromium', what: 'Chromium (WebGPU browser tests, e2e, CLI fallback)', ok: () => Boolean(chromiumPath()) },
  { pkg: 'libonnx-testdata', what: "ONNX's backend conformance cases", ok: () => existsSync('/usr/share/libonnx-testdata/data/node') },
  { pkg: 'libvulkan1', what: 'the Vulkan loader Dawn needs for the CLI', ok: () => ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1', '/usr/lib/libvulkan.so.1'].some(existsSync) },
];

export function ensurePrereqs({ browserOnly = false } = {}) {
  const wanted = browserOnly ? NEEDS.slice(0, 1) : NEEDS;
  let missing = wanted.filter((n) => !n.ok());
  if (!missing.length) return;
  const cmd = `apt-get install -y ${missing.map((m) => m.pkg).join(' ')}`;
  const isRoot = process.getuid?.() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (isRoot && hasApt) {
    console.log(`Installing ${missing.map((m) => m.pkg).join(', ')} with apt-get…`);
    try {
      execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive ${cmd} -qq`, { stdio: 'inherit' });
    } catch { /* reported below */ }
    missing = wanted.filter((n) => !n.ok());
    if (!missing.length) return;
  }
  console.error('Missing system packages:');
  for (const m of missing) console.error(`  ${m.pkg}: ${m.what}`);
  console.error(`Install them with:  sudo ${cmd}   (Debian/Ubuntu; or set CHROMIUM_PATH to a Chromium/Chrome binary)`);
  process.exit(1);
}

if (process.argv[1]?.endsWith('prereqs.mjs')) ensurePrereqs({ browserOnly: process.argv.includes('--browser') });
