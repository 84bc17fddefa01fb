// "Compiled out of release builds": run dist/probe.js through the two passes Metro's transform worker
// applies to every module of a release bundle (metro-transform-worker: inlinePlugin with dev=false,
// which turns the global `__DEV__` into `false`, then constantFoldingPlugin in its own pass) and check
// that the debug trigger's require is gone before Metro would collect dependencies.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const { transformFromAstSync, transformSync } = require('@babel/core');
const { constantFoldingPlugin, inlinePlugin } = require('metro-transform-plugins');

const source = readFileSync(new URL('../dist/probe.js', import.meta.url), 'utf8');
const TRIGGER = /require\(["']\.\/trigger["']\)/;

function metroTransform(code, dev) {
  const options = { dev, inlinePlatform: true, isWrapped: false, platform: 'ios' };
  const babel = { ast: true, babelrc: false, configFile: false, code: false, filename: 'probe.js' };
  let { ast } = transformSync(code, { ...babel, plugins: [[inlinePlugin, options]] });
  if (!dev) {
    ({ ast } = transformFromAstSync(ast, code, { ...babel, plugins: [[constantFoldingPlugin, options]] }));
  }
  return transformFromAstSync(ast, code, { babelrc: false, configFile: false, code: true }).code;
}

test('the compiled probe requires the trigger inside the __DEV__ guard', () => {
  assert.match(source, /if \(__DEV__\) \{[^}]*require\('\.\/trigger'\)/s);
});

test('a debug bundle keeps the trigger', () => {
  assert.match(metroTransform(source, true), TRIGGER);
});

test('a release bundle drops the trigger and its dependency', () => {
  const release = metroTransform(source, false);
  assert.doesNotMatch(release, TRIGGER);
  assert.doesNotMatch(release, /__DEV__/);
  assert.match(release, /function createProbe/); // the rest of the module is still there
});
