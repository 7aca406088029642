#!/usr/bin/env node
// The `lsi` command, built by `npm run build` (run automatically by `npm ci` / `npm install`).
import '../dist/lsi.mjs';
