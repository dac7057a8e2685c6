// What the studio needs outside npm, in one table shared by `npm test` and the CLI: each check, the
// Debian package that provides it, and who needs it. As root with apt-get the missing packages are
// installed; otherwise the exact `apt-get install` line is printed.
// Test hooks (env): STUDIO_VULKAN_LIB_DIRS (':'-separated dirs searched for libvulkan.so.1 instead of
// the system's), STUDIO_SWIFTSHADER_ICD (the ICD file to look for), STUDIO_NO_AUTO_INSTALL=1 (never run apt).
import { existsSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { chromiumPath } from './chromium.mjs';

const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu',
  '/usr/lib64', '/lib64', '/usr/lib', '/usr/local/lib'];
// Chromium's (and Chrome's) SwiftShader Vulkan driver: Dawn's adapter where there is no GPU.
const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json'];

/** The Vulkan loader Dawn dlopens, found the way the dynamic linker would (its dirs, then ldconfig's cache). */
export function vulkanLoaderFound() {
  const override = process.env.STUDIO_VULKAN_LIB_DIRS;
  const dirs = override !== undefined ? override.split(':')
    : [...(process.env.LD_LIBRARY_PATH ?? '').split(':'), ...LIB_DIRS];
  if (dirs.some((d) => d && existsSync(join(d, 'libvulkan.so.1')))) return true;
  if (override !== undefined) return false;
  // The cache can outlive the file: check the paths it lists.
  const ldconfig = spawnSync('/sbin/ldconfig', ['-p'], { encoding: 'utf8' });
  return ldconfig.status === 0 && [...ldconfig.stdout.matchAll(/^\s*libvulkan\.so\.1 .*=> (\S+)$/gm)].some((m) => existsSync(m[1]));
}

export function swiftshaderIcd() {
  const candidates = process.env.STUDIO_SWIFTSHADER_ICD ? [process.env.STUDIO_SWIFTSHADER_ICD] : SWIFTSHADER_ICDS;
  return candidates.find((p) => existsSync(p)) ?? null;
}

/** A kernel GPU driver (a DRM render node, or NVIDIA's device nodes): then the system's Vulkan driver serves Dawn. */
export function hasGpuDevice() {
  if (existsSync('/dev/nvidiactl')) return true;
  return existsSync('/dev/dri') && readdirSync('/dev/dri').some((f) => f.startsWith('renderD'));
}

/** SwiftShader is needed where neither a GPU nor a user's own VK_ICD_FILENAMES gives Dawn a driver. */
const needsSwiftshader = () => process.platform === 'linux' && !process.env.VK_ICD_FILENAMES && !hasGpuDevice();

// Debian's python3-* packages serve /usr/bin/python3, whatever python3 comes first on PATH (pyenv, venvs).
function pythonHas(...modules) {
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const code = `import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ${JSON.stringify(modules)}) else 1)`;
  return spawnSync(python, ['-c', code]).status === 0;
}

// for: 'test' = `npm test` (all parts), 'browser' = anything that launches Chromium, 'cli' = `npm run cli`.
export const PREREQS = [
  { pkg: 'chromium', what: 'Chromium (WebGPU browser tests, e2e)', for: ['test', 'browser'], ok: () => Boolean(chromiumPath()) },
  { pkg: 'chromium', what: 'its SwiftShader Vulkan driver is the adapter where there is no GPU', for: ['cli'],
    ok: () => !needsSwiftshader() || Boolean(swiftshaderIcd()) },
  { pkg: 'libonnx-testdata', what: "ONNX's backend conformance cases", for: ['test'], ok: () => existsSync('/usr/share/libonnx-testdata/data/node') },
  { pkg: 'libvulkan1', what: 'the Vulkan loader Dawn needs for WebGPU in Node', for: ['test', 'cli'],
    ok: () => process.platform !== 'linux' || vulkanLoaderFound() },
  { pkg: 'python3-torch', what: 'PyTorch, to export the torchvision test fixtures', for: ['test'], ok: () => pythonHas('torch') },
  { pkg: 'python3-torchvision', what: 'torchvision, to export the torchvision test fixtures', for: ['test'], ok: () => pythonHas('torchvision') },
];

export function missingPrereqs(purpose) {
  return PREREQS.filter((n) => n.for.includes(purpose) && !n.ok());
}

const packages = (missing) => [...new Set(missing.map((m) => m.pkg))];
const isRoot = () => process.getuid?.() === 0;
const onPath = (cmd) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, cmd)));

/** The exact command that installs what is missing (sudo unless root). */
export function installCommand(missing) {
  return `${isRoot() ? '' : 'sudo '}apt-get install -y ${packages(missing).join(' ')}`;
}

/** As root with apt-get (and unless STUDIO_NO_AUTO_INSTALL=1), installs the missing packages; false when it cannot try. */
export function tryInstall(missing, { log = console.log, stdio = 'inherit' } = {}) {
  if (!missing.length || process.env.STUDIO_NO_AUTO_INSTALL === '1' || !isRoot() || !onPath('apt-get')) return false;
  log(`Installing ${packages(missing).join(', ')} with apt-get…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio, env }); // a failed update may still leave usable package lists
  spawnSync('apt-get', ['install', '-y', '-qq', ...packages(missing)], { stdio, env });
  return true;
}

/**
 * For the CLI: null when everything is there (after installing it if it can), else one line saying
 * what is missing and the command that installs it. Its own and apt's output go to stderr, keeping
 * stdout for the CLI's results.
 */
export function cliPrereqProblem() {
  let missing = missingPrereqs('cli');
  const tried = tryInstall(missing, { log: (s) => process.stderr.write(`${s}\n`), stdio: ['ignore', 2, 2] });
  if (tried) missing = missingPrereqs('cli');
  if (!missing.length) return null;
  const them = missing.length > 1 ? 'them' : 'it';
  return `the CLI is missing system packages: ${missing.map((m) => `${m.pkg} (${m.what})`).join(', ')}. `
    + `${tried ? `apt-get did not install ${them}. ` : ''}Install ${them} with: ${installCommand(missing)}`
    + '  (Debian/Ubuntu; elsewhere: a Vulkan loader and driver, or set VK_ICD_FILENAMES)';
}

/** For `npm test` (purpose 'test') and Chromium launchers ('browser'): installs or prints what is missing, and exits 1 if anything still is. */
export function ensurePrereqs({ browserOnly = false, purpose = browserOnly ? 'browser' : 'test' } = {}) {
  let missing = missingPrereqs(purpose);
  if (tryInstall(missing)) missing = missingPrereqs(purpose);
  if (!missing.length) return;
  console.error('Missing system packages:');
  for (const m of missing) console.error(`  ${m.pkg}: ${m.what}`);
  console.error(`Install them with:  ${installCommand(missing)}   (Debian/Ubuntu; or set CHROMIUM_PATH to a Chromium/Chrome binary)`);
  process.exit(1);
}

if (process.argv[1]?.endsWith('prereqs.mjs')) ensurePrereqs({ browserOnly: process.argv.includes('--browser') });
