#!/usr/bin/env node
// The `cocoda` command. Sources are TypeScript run through tsx's loader, so `npx cocoda` from a
// checkout always runs the current code: there is no separate build step to forget.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
