// `npm start` runs this first: the studio itself only needs npm's packages; Chromium is for tests.
import { existsSync } from 'node:fs';
if (!existsSync(new URL('../node_modules/vite', import.meta.url))) {
  console.error('Dependencies are missing: run `npm ci` (or `npm install`) first.');
  process.exit(1);
}
