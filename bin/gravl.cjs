#!/usr/bin/env node
/*
 * The commands' launcher: runs main.ts compiled into one CommonJS bundle (.build/main.cjs, its
 * dependencies included, so starting is one file to read rather than hundreds of modules to find).
 * The bundle is rebuilt (esbuild, a fraction of a second) whenever any source it is made from
 * changed since it was built: the check compares every source file's size and change time with
 * the stamp written beside the bundle, so a stale build never runs.
 *
 * V8 compiles the bundle once per command: the compiled code of a command's first run is kept in
 * .build/code-cache/<command>.bin and handed to V8 on the next runs. V8 checks cached code only
 * against the source's length, so each file begins with the SHA-256 of the identity (inode, size,
 * change time) of the bundle it was made from, and code of any other bundle is not used; a command
 * whose bundle was replaced while it ran keeps none. It holds compiled code only, never a result:
 * every run still reads, renders and writes everything.
 *
 * Bundles are also kept by content, for a tree whose stamp does not match although its sources
 * are the same bytes (a fresh checkout, a revision extracted by `npm run promote`, a branch switched
 * there and back): node_modules/.cache/gravl/<key>/, where the key is the SHA-256 of every source's
 * path and bytes (the same list as the stamp), Node's version and architecture and esbuild's
 * version. When the stamp does not match, the launcher computes the key; an entry of that key is
 * copied into .build/ (the bundle, its map and the compiled code kept for it) instead of running
 * esbuild, and a build stores its bundle there. So a stale build cannot run: a changed byte of any
 * source is another key, and a bundle whose sources changed while esbuild read them is not stored. An entry is written into a temporary folder and renamed into place whole;
 * its manifest holds the SHA-256 of each file, checked on every use, and each compiled-code file
 * carries the SHA-256 of itself and of the bundle it was made from: a damaged or partial entry is
 * removed and the bundle rebuilt, compiled code that does not match is dropped. The newest eight
 * entries (about 10 MB each with their compiled code) are kept, used entries counting as new;
 * storing prunes the rest. node_modules is shared by the trees promote extracts (a link) and
 * ignored by git. .build/stamp.json says where the bundle came from (`origin`: build or cache).
 * To force a build from scratch (a dependency patched in place, without a new lockfile), remove
 * both: `rm -rf .build node_modules/.cache/gravl`.
 *
 * `node bin/gravl.cjs --build-only` makes the bundle current and runs no command (npm run promote
 * does this once in the tree of a revision it judges by that revision's own launcher).
 * GRAVL_BUNDLE_KEY, set for the command, is the key of the bundle it runs when that is made from
 * the sources as they are; required as a module, this file gives contentKeyOf(tree), the key of a
 * tree's sources (promote compares the two).
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const crypto = require('node:crypto');
const Module = require('node:module');
const { isMainThread } = require('node:worker_threads');

const ROOT = path.resolve(__dirname, '..');
const OUT_DIR = path.join(ROOT, '.build');
const BUNDLE = path.join(OUT_DIR, 'main.cjs');
const STAMP = path.join(OUT_DIR, 'stamp.json');
const CODE_CACHE = path.join(OUT_DIR, 'code-cache');
const SHARED = path.join(ROOT, 'node_modules', '.cache', 'gravl');
const SHARED_KEEP = 8;

/** Every file the bundle of a tree (this one's by default) is made from: main.ts, lib/ (code and the JSON and JS it imports), the schema, this launcher, the installed dependencies. */
function sources(root = ROOT) {
  const files = ['main.ts', 'environments/environment.schema.json', 'package.json', 'package-lock.json', 'tsconfig.json', 'bin/gravl.cjs'].map((file) => path.join(root, file));
  // npm rewrites it on every install: the bundle holds the dependencies, so it follows them.
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (fs.existsSync(installed)) files.push(installed);
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(ts|js|json)$/.test(entry.name)) files.push(full);
    }
  };
  walk(path.join(root, 'lib'));
  walk(path.join(root, 'imports'));
  return files.sort();
}

/** What the current sources look like: one line per file (path, size, change time). */
function fingerprint(files) {
  return files
    .map((file) => {
      const stat = fs.statSync(file);
      return `${path.relative(ROOT, file)} ${stat.size} ${stat.mtimeMs} ${stat.ctimeMs}`;
    })
    .join('\n');
}

/** The stamp of the bundle in .build/ when it was made from these sources, else undefined. */
function current(print) {
  try {
    const stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'));
    return fs.existsSync(BUNDLE) && stamp.sources === print ? stamp : undefined;
  } catch {
    return undefined;
  }
}

const sha256 = (...parts) => {
  const hash = crypto.createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/** The version of the esbuild the launcher would build with. */
function esbuildVersion() {
  try {
    return JSON.parse(fs.readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
  } catch {
    return 'none';
  }
}

/** The shared cache's key of a bundle made from these sources of a tree: every file's path and bytes, and what builds and runs it. */
function contentKey(files, root = ROOT) {
  const hash = crypto.createHash('sha256');
  hash.update(`gravl bundle 1\0node ${process.version} ${process.arch}\0esbuild ${esbuildVersion()}\0`);
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    hash.update(`${path.relative(root, file).split(path.sep).join('/')}\0${bytes.length}\0`);
    hash.update(bytes);
  }
  return hash.digest('hex');
}

/** The identity of the bundle file in .build/ as it is now (inode, size, change time), or undefined. */
function bundleIdentity() {
  try {
    const stat = fs.statSync(BUNDLE);
    return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/**
 * A compiled-code file of .build/code-cache/ begins with the SHA-256 (hex) of the identity of the
 * bundle it was made from: V8 checks cached code only against the source's length, so code of
 * another bundle of the same length would run unnoticed.
 */
const localTag = (identity) => Buffer.from(sha256(`gravl code of ${identity}`), 'ascii');

/** Writes compiled code for the bundle of this identity. */
function writeLocalCode(file, identity, data) {
  fs.mkdirSync(CODE_CACHE, { recursive: true });
  replaceFile(file, Buffer.concat([localTag(identity), data]));
}

/** The compiled code in `file` when it was made from the bundle of this identity, else undefined. */
function readLocalCode(file, identity) {
  try {
    const bytes = fs.readFileSync(file);
    const tag = localTag(identity);
    return bytes.length > tag.length && bytes.subarray(0, tag.length).equals(tag) ? bytes.subarray(tag.length) : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest of a shared entry whose files are all there with the bytes it names, else undefined. */
function readEntry(entry, key) {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(entry, 'manifest.json'), 'utf8'));
    if (manifest.key !== key) return undefined;
    const contents = {};
    for (const name of ['main.cjs.map', 'main.cjs']) {
      const bytes = fs.readFileSync(path.join(entry, name));
      if (sha256(bytes) !== manifest.files[name]) return undefined;
      contents[name] = bytes;
    }
    return { manifest, contents };
  } catch {
    return undefined;
  }
}

/** Compiled code of an entry: the payload of a file whose header is the SHA-256 of the bundle's hash and the payload, else undefined. */
function readSharedCode(file, bundleHash) {
  try {
    const bytes = fs.readFileSync(file);
    const payload = bytes.subarray(32);
    return bytes.length > 32 && Buffer.from(sha256(bundleHash, payload), 'hex').equals(bytes.subarray(0, 32)) ? payload : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Puts the bundle of the shared entry of `key` into .build/, with its compiled code; false when
 * there is no sound entry, or the copy failed (the caller then builds). A bundle already there with
 * the same bytes is left in place, so that a command running it (its worker threads check the
 * file's identity) is not disturbed.
 */
function fromShared(print, key) {
  try {
    const entry = path.join(SHARED, key);
    if (!fs.existsSync(entry)) return false;
    const found = readEntry(entry, key);
    if (!found) {
      // Damaged or partial: removed (where the cache can be written), and rebuilt by the caller.
      fs.rmSync(entry, { recursive: true, force: true });
      return false;
    }
    const bundleHash = found.manifest.files['main.cjs'];
    let same = false;
    try {
      same = sha256(fs.readFileSync(BUNDLE)) === bundleHash;
    } catch {
      // No bundle yet.
    }
    if (!same) {
      fs.mkdirSync(OUT_DIR, { recursive: true });
      replaceFile(path.join(OUT_DIR, 'main.cjs.map'), found.contents['main.cjs.map']);
      replaceFile(BUNDLE, found.contents['main.cjs']);
      fs.rmSync(CODE_CACHE, { recursive: true, force: true });
    }
    const identity = bundleIdentity();
    const shared = path.join(entry, 'code-cache');
    let names = [];
    try {
      names = fs.readdirSync(shared).filter((n) => n.endsWith('.bin'));
    } catch {
      // No compiled code kept for this entry yet.
    }
    for (const name of names) {
      const payload = readSharedCode(path.join(shared, name), bundleHash);
      if (payload === undefined) {
        fs.rmSync(path.join(shared, name), { force: true });
        continue;
      }
      if (!same || readLocalCode(path.join(CODE_CACHE, name), identity) === undefined) writeLocalCode(path.join(CODE_CACHE, name), identity, payload);
    }
    // Used: new again for pruning.
    try {
      const now = new Date();
      fs.utimesSync(path.join(entry, 'manifest.json'), now, now);
    } catch {
      // A read-only cache.
    }
    replaceFile(STAMP, JSON.stringify({ sources: print, key, bundle: bundleHash, origin: 'cache' }));
    return true;
  } catch {
    // A cache that cannot be read or cleaned (read-only, or pruned by another process meanwhile): build instead.
    return false;
  }
}

/** Stores a bundle just built in the shared cache (whole, or not at all), and prunes it to the newest entries. */
function storeShared(key, contents) {
  try {
    fs.mkdirSync(SHARED, { recursive: true });
    const tmp = fs.mkdtempSync(path.join(SHARED, '.tmp-'));
    const files = {};
    for (const [name, bytes] of Object.entries(contents)) {
      fs.writeFileSync(path.join(tmp, name), bytes);
      files[name] = sha256(bytes);
    }
    fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ key, files }));
    try {
      fs.renameSync(tmp, path.join(SHARED, key));
    } catch {
      // Another process stored the same key meanwhile (a damaged entry was removed before the build): theirs stays.
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    // Entries by last use, newest first; a temporary folder an hour old is of a build that died.
    const entries = [];
    for (const name of fs.readdirSync(SHARED)) {
      const full = path.join(SHARED, name);
      if (name.startsWith('.tmp-')) {
        if (Date.now() - fs.statSync(full).mtimeMs > 3600_000) fs.rmSync(full, { recursive: true, force: true });
      } else if (/^[0-9a-f]{64}$/.test(name)) {
        let time = 0;
        try {
          time = fs.statSync(path.join(full, 'manifest.json')).mtimeMs;
        } catch {
          // No manifest: a damaged entry, the first to go.
        }
        entries.push({ full, time });
      }
    }
    entries.sort((x, y) => y.time - x.time);
    for (const { full } of entries.slice(SHARED_KEEP)) fs.rmSync(full, { recursive: true, force: true });
  } catch {
    // A read-only node_modules: the bundle in .build/ serves this tree alone.
  }
}

/** Writes a file beside its final name and renames it over it: a process that starts meanwhile sees the old file or the new one, never half of one. */
function replaceFile(file, content) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function build(print, key) {
  const esbuild = require('esbuild');
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [path.join(ROOT, 'main.ts')],
    // Paths in the bundle's comments and map relative to the tree, whatever the working folder and
    // wherever node_modules links to: the same sources give the same bytes in every tree.
    absWorkingDir: ROOT,
    preserveSymlinks: true,
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
    // Positions only: the sources it points to are the tree's own files (a quarter of the size, a
    // quarter less build time).
    sourcesContent: false,
    logLevel: 'error',
  });
  // The map first, so that a bundle is never there without its map.
  const outputs = [...result.outputFiles].sort((a, b) => Number(b.path.endsWith('.map')) - Number(a.path.endsWith('.map')));
  for (const output of outputs) replaceFile(output.path, output.contents);
  // Compiled code of the previous bundle: of no use to this one.
  fs.rmSync(CODE_CACHE, { recursive: true, force: true });
  const contents = Object.fromEntries(outputs.map((output) => [path.basename(output.path), output.contents]));
  // esbuild read the sources again: when any changed since the key was made (a save, a checkout),
  // the bundle is of other bytes than the key says. It is neither shared nor stamped as current,
  // so the next run builds again.
  if (contentKey(sources()) !== key) {
    replaceFile(STAMP, JSON.stringify({ sources: 'changed while building', origin: 'build' }));
    return;
  }
  storeShared(key, contents);
  replaceFile(STAMP, JSON.stringify({ sources: print, key, bundle: sha256(contents['main.cjs']), origin: 'build' }));
}

/** Runs the bundle as Node runs a CommonJS module, with V8's compiled code of earlier runs of the same command. */
function run(stamp) {
  // The command as main.ts reads it: the first argument, synth when it is missing or an option.
  const first = process.argv[2];
  const command = first === undefined ? 'synth' : ['--help', '-h', 'help'].includes(first) ? 'help' : first.startsWith('-') ? 'synth' : first;
  const cacheFile = path.join(CODE_CACHE, `${/^[a-z][a-z-]*$/.test(command) ? command : 'other'}${isMainThread ? '' : '.worker'}.bin`);
  const fd = fs.openSync(BUNDLE, 'r');
  const stat = fs.fstatSync(fd);
  const source = fs.readFileSync(fd, 'utf8');
  fs.closeSync(fd);
  // A worker thread runs the bundle its command runs: one rebuilt meanwhile (a source changed and
  // another command started) is refused rather than mixed with it.
  const identity = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
  const cachedData = readLocalCode(cacheFile, identity);
  if (isMainThread) process.env.GRAVL_BUNDLE = identity;
  else if (process.env.GRAVL_BUNDLE !== identity) throw new Error('the compiled bundle was rebuilt while this command ran (a source changed): run the command again');
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) {
    // At exit, when the functions this command ran are compiled, and only then worth keeping.
    process.once('exit', () => {
      let data;
      try {
        data = script.createCachedData();
        // Not when another command replaced the bundle meanwhile: this code is of the old one.
        if (bundleIdentity() === identity) writeLocalCode(cacheFile, identity, data);
      } catch {
        // A read-only checkout runs without it.
      }
      // And for the other trees of the same sources, when the shared entry holds this very bundle.
      try {
        const entry = path.join(SHARED, stamp.key);
        const manifest = JSON.parse(fs.readFileSync(path.join(entry, 'manifest.json'), 'utf8'));
        if (data && manifest.key === stamp.key && manifest.files['main.cjs'] === stamp.bundle && stamp.bundle === sha256(source)) {
          fs.mkdirSync(path.join(entry, 'code-cache'), { recursive: true });
          replaceFile(path.join(entry, 'code-cache', path.basename(cacheFile)), Buffer.concat([Buffer.from(sha256(stamp.bundle, data), 'hex'), data]));
        }
      } catch {
        // No stamp of a shared bundle (a worker, an older stamp), no entry, or a read-only cache.
      }
    });
  }
  const bundle = new Module(BUNDLE, module);
  bundle.filename = BUNDLE;
  bundle.paths = Module._nodeModulePaths(OUT_DIR);
  const requireFromBundle = Module.createRequire(BUNDLE);
  script.runInThisContext().call(bundle.exports, bundle.exports, requireFromBundle, bundle, BUNDLE, OUT_DIR);
}

/**
 * For npm run promote (required by the command this launcher runs, or by a test): the key the
 * launcher of `root` gives its bundle when that launcher is this file's bytes (it is one of the
 * sources: another launcher, another key). Throws when a source cannot be read.
 */
module.exports.contentKeyOf = (root) => contentKey(sources(root), root);

// Run as a program (node bin/gravl.cjs, or a worker thread of a parallel synth), it runs the command;
// required as a module, it only gives contentKeyOf.
if (require.main === module) {
  // A worker thread is started by a command that has just checked the bundle.
  let stamp;
  if (isMainThread) {
    const files = sources();
    const print = fingerprint(files);
    stamp = current(print);
    if (!stamp) {
      try {
        const key = contentKey(files);
        if (!fromShared(print, key)) build(print, key);
        stamp = current(print);
      } catch (error) {
        // esbuild has printed each error with its file and line (logLevel error); no stack trace.
        if (!Array.isArray(error && error.errors)) throw error;
        console.error(`gravl: the sources do not compile (${error.errors.length} error(s) above); nothing was run`);
        process.exit(1);
      }
    }
    // The content key of the bundle about to run, when it is made from the sources as they are now
    // (npm run promote judges a revision of the same key in this process); none when they changed
    // while it was built, and never one inherited from another command.
    if (stamp && stamp.key) process.env.GRAVL_BUNDLE_KEY = stamp.key;
    else delete process.env.GRAVL_BUNDLE_KEY;
    // Only the bundle, no command: for a caller that builds once before several commands run at once.
    // An argument, not a variable: an exported variable would make every later command exit 0 unseen.
    if (process.argv[2] === '--build-only' && process.argv.length === 3) process.exit(0);
  }
  run(stamp);
}
