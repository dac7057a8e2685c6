// Rewrites docs/recipe-reference.md from the step schemas (src/recipe/reference.ts).
import { writeFileSync } from 'node:fs';
import { recipeReference } from '../src/recipe/reference';

writeFileSync('docs/recipe-reference.md', recipeReference());
console.log('wrote docs/recipe-reference.md');
