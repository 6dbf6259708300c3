import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDockerfile } from './dockerfile';
import { imagePlan } from './plan';

// `nx run image-builder:dockerfile`: rewrites apps/server/Dockerfile from the layer plan.
const root = join(__dirname, '../../..');
const target = join(root, 'apps/server/Dockerfile');
writeFileSync(target, renderDockerfile(imagePlan('gpu', root)));
process.stdout.write(`wrote ${target}\n`);
