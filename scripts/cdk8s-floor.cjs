#!/usr/bin/env node
/*
 * The least work any cdk8s generator of this output does for one environment, run for `--count`
 * environments in a fresh process so that `npm run bench` can compare what one more environment
 * costs with what the 20/2 target allows. Each environment: its objects parsed from plain JSON
 * (the objects of one rendered environment, with its name replaced by the environment's own), each
 * one made a cdk8s ApiObject in a Chart of its own App, serialised as cdk8s synthesises every
 * object (ApiObject.toJson), and written to one file with JSON.stringify, which Node runs natively
 * and which costs less than writing YAML. No typed construct, validation, YAML, READINESS.md or
 * environment file: what the generator does on top of this is measured by the bench's other lines.
 *
 *   node scripts/cdk8s-floor.cjs --objects FILE --name NAME --count N [--threads T] --out DIR
 *
 * FILE: a JSON array of Kubernetes objects that mention the environment NAME. Environment i is
 * named envNN (NN = i, two digits) and written to DIR/envNN.json, one object a line. With --threads
 * T, this thread and T - 1 worker threads take the environments in turn. Exits 2 on bad arguments.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { Worker, isMainThread, workerData } = require('node:worker_threads');

const USAGE = 'usage: node scripts/cdk8s-floor.cjs --objects FILE --name NAME --count N [--threads T] --out DIR';

/** The name of the i-th environment. */
const environmentName = (i) => `env${String(i).padStart(2, '0')}`;

/** Renders environment `i`: plain JSON in, cdk8s ApiObjects, their toJson out as JSON lines. */
function renderEnvironment(job, i) {
  // Loaded here, once the arguments are known to be good: a refusal costs no module.
  const { App, Chart, ApiObject } = require('cdk8s');
  const name = environmentName(i);
  const objects = JSON.parse(job.text.replaceAll(job.name, name));
  const chart = new Chart(new App({ outdir: job.out }), name);
  const apiObjects = objects.map((o, k) => new ApiObject(chart, `o${k}`, o));
  fs.writeFileSync(path.join(job.out, `${name}.json`), `${apiObjects.map((o) => JSON.stringify(o.toJson())).join('\n')}\n`);
}

/** Takes the next environment from the shared counter until none is left. */
function takeTurns(job) {
  const next = new Int32Array(job.next);
  for (let i = Atomics.add(next, 0, 1); i < job.count; i = Atomics.add(next, 0, 1)) renderEnvironment(job, i);
}

/** The options, or a message saying what is wrong with them. */
function parseArgs(argv) {
  const options = { threads: '1' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!['--objects', '--name', '--count', '--threads', '--out'].includes(key) || argv[i + 1] === undefined) return `unexpected argument ${key}`;
    options[key.slice(2)] = argv[i + 1];
  }
  for (const key of ['objects', 'name', 'count', 'out']) if (options[key] === undefined) return `--${key} is missing`;
  const count = Number(options.count);
  const threads = Number(options.threads);
  if (!Number.isInteger(count) || count < 1 || count > 100) return `--count: found ${options.count}, expected a whole number from 1 to 100`;
  if (!Number.isInteger(threads) || threads < 1) return `--threads: found ${options.threads}, expected a whole number of at least 1`;
  let text;
  try {
    text = fs.readFileSync(options.objects, 'utf8');
    if (!Array.isArray(JSON.parse(text))) return `--objects: ${options.objects} is not a JSON array`;
  } catch (error) {
    return `--objects: ${error.message}`;
  }
  if (!text.includes(options.name)) return `--name: ${options.objects} never mentions ${options.name}`;
  return { text, name: options.name, count, threads, out: options.out };
}

if (isMainThread) {
  const parsed = parseArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stderr.write(`cdk8s-floor: ${parsed}\n${USAGE}\n`);
    process.exit(2);
  }
  fs.mkdirSync(parsed.out, { recursive: true });
  const job = { ...parsed, next: new SharedArrayBuffer(4) };
  const workers = Array.from({ length: Math.min(job.threads, job.count) - 1 }, () => new Worker(__filename, { workerData: job }));
  for (const worker of workers) worker.on('error', (error) => {
    process.stderr.write(`cdk8s-floor: a worker failed: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
  takeTurns(job);
} else {
  takeTurns(workerData);
}
