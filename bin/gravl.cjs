#!/usr/bin/env node
/*
 * The commands' launcher: runs main.ts compiled into one CommonJS bundle (.build/main.cjs, its
 * dependencies included, so starting is one file to read rather than hundreds of modules to find).
 * The bundle is rebuilt (esbuild, a fraction of a second) whenever any source it is made from
 * changed since it was built: the check compares every source file's size and change time with
 * the stamp written beside the bundle, so a stale build never runs.
 *
 * V8 compiles the bundle once per command: the compiled code of a command's first run is kept in
 * .build/code-cache/<command>.bin and handed to V8 on the next runs (V8 checks it against the
 * source and rejects a mismatch; a rebuild removes them). It holds compiled code only, never a
 * result: every run still reads, renders and writes everything.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');
const { isMainThread } = require('node:worker_threads');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, '.build');
const BUNDLE = path.join(OUT_DIR, 'main.cjs');
const STAMP = path.join(OUT_DIR, 'stamp.json');
const CODE_CACHE = path.join(OUT_DIR, 'code-cache');

/** Every file the bundle is made from: main.ts, lib/ (code and the JSON and JS it imports), the schema, the installed dependencies. */
function sources() {
  const files = [path.join(ROOT, 'main.ts'), path.join(ROOT, 'environments', 'environment.schema.json'), path.join(ROOT, 'package-lock.json'), path.join(ROOT, 'tsconfig.json'), __filename];
  // npm rewrites it on every install: the bundle holds the dependencies, so it follows them.
  const installed = path.join(ROOT, 'node_modules', '.package-lock.json');
  if (fs.existsSync(installed)) files.push(installed);
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js|json)$/.test(entry.name)) files.push(full);
    }
  };
  walk(path.join(ROOT, 'lib'));
  walk(path.join(ROOT, 'imports'));
  return files.sort();
}

/** What the current sources look like: one line per file (path, size, change time). */
function fingerprint() {
  return sources()
    .map((file) => {
      const stat = fs.statSync(file);
      return `${path.relative(ROOT, file)} ${stat.size} ${stat.mtimeMs} ${stat.ctimeMs}`;
    })
    .join('\n');
}

function current(print) {
  try {
    return fs.existsSync(BUNDLE) && JSON.parse(fs.readFileSync(STAMP, 'utf8')).sources === print;
  } catch {
    return false;
  }
}

/** Writes a file beside its final name and renames it over it: a process that starts meanwhile sees the old file or the new one, never half of one. */
function replaceFile(file, content) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function build(print) {
  const esbuild = require('esbuild');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [path.join(ROOT, 'main.ts')],
    outfile: BUNDLE,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // esbuild is the launcher's, never the commands'.
    external: ['esbuild'],
    // Beside the bundle (main.cjs.map), for `node --enable-source-maps`; inline, it tripled the file every start reads.
    sourcemap: 'linked',
    logLevel: 'error',
  });
  // The map first, so that a bundle is never there without its map.
  const outputs = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
  for (const output of outputs) replaceFile(output.path, output.contents);
  // Compiled code of the previous bundle: of no use to this one.
  fs.rmSync(CODE_CACHE, { recursive: true, force: true });
  replaceFile(STAMP, JSON.stringify({ sources: print }));
}

/** Runs the bundle as Node runs a CommonJS module, with V8's compiled code of earlier runs of the same command. */
function run() {
  // The command as main.ts reads it: the first argument, synth when it is missing or an option.
  const first = process.argv[2];
  const command = first === undefined ? 'synth' : ['--help', '-h', 'help'].includes(first) ? 'help' : first.startsWith('-') ? 'synth' : first;
  const cacheFile = path.join(CODE_CACHE, `${/^[a-z][a-z-]*$/.test(command) ? command : 'other'}${isMainThread ? '' : '.worker'}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const fd = fs.openSync(BUNDLE, 'r');
  const stat = fs.fstatSync(fd);
  const source = fs.readFileSync(fd, 'utf8');
  fs.closeSync(fd);
  // A worker thread runs the bundle its command runs: one rebuilt meanwhile (a source changed and
  // another command started) is refused rather than mixed with it.
  const identity = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  if (isMainThread) process.env.GRAVL_BUNDLE = identity;
  else if (process.env.GRAVL_BUNDLE !== identity) throw new Error('the compiled bundle was rebuilt while this command ran (a source changed): run the command again');
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit, when the functions this command ran are compiled, and only then worth keeping.
    process.once('exit', () => {
      try {
        fs.mkdirSync(CODE_CACHE, { recursive: true });
        replaceFile(cacheFile, script.createCachedData());
      } catch {
        // A read-only checkout runs without it.
      }
    });
  }
  const bundle = new Module(BUNDLE, module);
  bundle.filename = BUNDLE;
  bundle.paths = Module._nodeModulePaths(OUT_DIR);
  const requireFromBundle = Module.createRequire(BUNDLE);
  script.runInThisContext().call(bundle.exports, bundle.exports, requireFromBundle, bundle, BUNDLE, OUT_DIR);
}

// A worker thread is started by a command that has just checked the bundle.
if (isMainThread) {
  const print = fingerprint();
  if (!current(print)) {
    try {
      build(print);
    } catch (error) {
      // esbuild has printed each error with its file and line (logLevel error); no stack trace.
      if (!Array.isArray(error && error.errors)) throw error;
      console.error(`gravl: the sources do not compile (${error.errors.length} error(s) above); nothing was run`);
      process.exit(1);
    }
  }
}
run();
