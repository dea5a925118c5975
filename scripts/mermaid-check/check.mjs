#!/usr/bin/env node
// Parses Mermaid diagrams with mermaid's own parser, without a browser: jsdom provides the
// DOM that mermaid's sanitizer needs at load time. Reads the files given, or standard input.
// Exit 0 when every diagram parses, 1 otherwise (each error names the file and the line).
import { readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

const files = process.argv.slice(2);
const inputs = files.length
  ? files.map((f) => [f, readFileSync(f, 'utf8')])
  : [['<stdin>', readFileSync(0, 'utf8')]];
let failed = 0;
for (const [name, text] of inputs) {
  try {
    const { diagramType } = await mermaid.parse(text);
    console.log(`ok ${name} (${diagramType})`);
  } catch (e) {
    failed += 1;
    console.error(`error: ${name}: ${e.message}`);
  }
}
process.exit(failed ? 1 : 0);
