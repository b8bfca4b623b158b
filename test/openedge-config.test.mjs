// OpenEdge mode's config reader: `-c` inline JSON or a JSON/YAML file, OpenEdge's defaults, Go
// durations, and a ConfigError naming the field for every problem.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configArgument, parseGoDuration, readOpenEdgeConfig } from '../dist/platforms/openedge/config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fnpool-openedge-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const minimal = () => ({ server: { address: '0.0.0.0:50051' }, function: { name: 'fn', handler: 'index.handler' } });

function write(name, text) {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The config built from minimal() after change(raw) edits it. */
function load(change = () => {}) {
  const raw = minimal();
  change(raw);
  return readOpenEdgeConfig(JSON.stringify(raw), dir);
}

function rejects(fn, pattern) {
  assert.throws(fn, (err) => {
    assert.equal(err.name, 'ConfigError');
    assert.match(err.message, pattern);
    return true;
  });
}

const rejectsConfig = (change, pattern) => rejects(() => load(change), pattern);

test('inline JSON, with OpenEdge defaults filled in', () => {
  const config = readOpenEdgeConfig('  ' + JSON.stringify(minimal()), dir);
  assert.deepEqual(config, {
    name: 'fn',
    server: { host: '0.0.0.0', port: 50051, timeoutMs: 30_000, maxMessageBytes: 4_194_304 },
    function: {
      name: 'fn', handler: 'index.handler', codeDir: dir,
      instance: { min: 0, max: 1, idleTimeMs: 600_000, timeoutMs: 300_000 }, env: {},
    },
    source: 'inline',
  });
});

test('codedir defaults to the working directory, which is process.cwd() unless given', () => {
  const config = readOpenEdgeConfig(JSON.stringify(minimal()));
  assert.equal(config.function.codeDir, process.cwd());
  assert.equal(load((c) => { c.function.codedir = 'code/app'; }).function.codeDir, path.join(dir, 'code/app'));
  assert.equal(load((c) => { c.function.codedir = '/var/db/openedge/fn'; }).function.codeDir, '/var/db/openedge/fn');
});

test('every field given in a JSON file; unknown keys ignored', () => {
  const file = write('full.json', JSON.stringify({
    name: 'svc_1', extra: true,
    server: { address: 'tcp://127.0.0.1:8080', timeout: '1m', message: { length: { max: 1024 } }, other: 1 },
    function: {
      id: 'abc', name: 'fn-2', handler: 'src/app.main', codedir: 'code',
      instance: { min: 1, max: 4, idletime: '30s', timeout: '2m', cpu: { cpus: 0.5 } },
      env: { A: 'x' },
    },
  }));
  const config = readOpenEdgeConfig(file, '/somewhere/else');
  assert.deepEqual(config, {
    name: 'svc_1',
    server: { host: '127.0.0.1', port: 8080, timeoutMs: 60_000, maxMessageBytes: 1024 },
    function: {
      id: 'abc', name: 'fn-2', handler: 'src/app.main', codeDir: '/somewhere/else/code',
      instance: { min: 1, max: 4, idleTimeMs: 30_000, timeoutMs: 120_000 }, env: { A: 'x' },
    },
    source: file,
  });
});

test('a YAML file (.yml and .yaml), with env values converted to strings', () => {
  const yaml = [
    'name: edge_fn',
    'server:',
    '  address: ":50051"',
    '  timeout: 1m30s',
    'function:',
    '  name: fn',
    '  handler: index.handler',
    '  instance:',
    '    idletime: 1.5h',
    '  env:',
    '    PORT: 80',
    '    RATIO: 0.5',
    '    DEBUG: true',
    '    YES_STAYS: yes',
    '    TEXT: hello',
  ].join('\n');
  for (const name of ['conf.yml', 'conf.yaml']) {
    const config = readOpenEdgeConfig(write(name, yaml), dir);
    assert.equal(config.name, 'edge_fn');
    assert.equal(config.server.host, '0.0.0.0');
    assert.equal(config.server.port, 50051);
    assert.equal(config.server.timeoutMs, 90_000);
    assert.equal(config.function.instance.idleTimeMs, 5_400_000);
    assert.deepEqual(config.function.env, { PORT: '80', RATIO: '0.5', DEBUG: 'true', YES_STAYS: 'yes', TEXT: 'hello' });
    assert.equal(config.source, path.join(dir, name));
  }
});

test('a relative file path is resolved against the working directory', () => {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  write('etc/service.yml', 'server: {address: "0.0.0.0:1"}\nfunction: {name: f, handler: index.handler}\n');
  const config = readOpenEdgeConfig('etc/service.yml', dir);
  assert.equal(config.source, path.join(dir, 'etc/service.yml'));
  assert.equal(config.server.port, 1);
});

test('a file with another extension is tried as JSON, then as YAML', () => {
  assert.equal(readOpenEdgeConfig(write('conf.cfg', JSON.stringify(minimal())), dir).function.name, 'fn');
  assert.equal(readOpenEdgeConfig(write('conf', 'server:\n  address: ":2"\nfunction:\n  name: y\n  handler: a.b\n'), dir).function.name, 'y');
});

test('null counts as absent: an env with every entry commented out', () => {
  const config = readOpenEdgeConfig(write('nulls.yml', 'server:\n  address: ":3"\n  timeout:\nfunction:\n  name: f\n  handler: a.b\n  env:\n  #  A: b\n'), dir);
  assert.deepEqual(config.function.env, {});
  assert.equal(config.server.timeoutMs, 30_000);
});

test('name defaults to function.name', () => {
  assert.equal(load().name, 'fn');
  assert.equal(load((c) => { c.name = 'other'; }).name, 'other');
});

test('Go durations: every form', () => {
  const cases = {
    '30s': 30_000, '5m': 300_000, '1m30s': 90_000, '100ms': 100, '2h45m': 9_900_000, '1.5s': 1500, '1.5h': 5_400_000,
    '300us': 0.3, '300µs': 0.3, '300μs': 0.3, '1ns': 0.000001, '0': 0, '-0': 0, '+0': 0, '+5s': 5000, '-1.5s': -1500,
    '.5s': 500, '1.s': 1000, '1h1h': 7_200_000, '0s': 0, '10m0s': 600_000,
  };
  for (const [text, ms] of Object.entries(cases)) assert.equal(parseGoDuration(text), ms, text);
});

test('Go durations: a fraction below a nanosecond is cut, as Go cuts it', () => {
  assert.equal(parseGoDuration('1.9ns'), 0.000001);
  assert.equal(parseGoDuration('0.0000000015s'), 0.000001);
});

test('Go durations: errors', () => {
  const cases = {
    '': /empty/, '30': /needs a unit.*"30s"/, '1': /needs a unit/, '5x': /unknown unit "x"/, '5sec': /unknown unit "sec"/,
    '1m30': /needs a unit/, 'x': /expected a number/, '.': /expected a number/, '-': /empty/, ' 1s': /expected a number/,
    '1s ': /unknown unit "s "/, '1.5.5s': /needs a unit/, '5S': /unknown unit "S"/, '2562047h47m16.854775808s': /out of range/,
  };
  for (const [text, pattern] of Object.entries(cases)) {
    assert.throws(() => parseGoDuration(text), (err) => {
      assert.equal(err.constructor, Error, text);
      assert.match(err.message, new RegExp(`^invalid duration ${JSON.stringify(text).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `), text);
      assert.match(err.message, pattern, text);
      return true;
    }, text);
  }
  assert.equal(parseGoDuration('2562047h47m16.854775807s'), 9223372036854.775807);
});

test('duration fields: bad strings, numbers, negatives each name the field', () => {
  rejectsConfig((c) => { c.server.timeout = 30; }, /^server\.timeout must be a duration such as "30s" \(got 30\)$/);
  rejectsConfig((c) => { c.server.timeout = '30'; }, /^server\.timeout must be a duration such as "30s" \(got "30"\): .*needs a unit/);
  rejectsConfig((c) => { c.server.timeout = ''; }, /^server\.timeout must be a duration such as "30s" \(got ""\): .*empty/);
  rejectsConfig((c) => { c.server.timeout = '3 s'; }, /^server\.timeout must be a duration/);
  rejectsConfig((c) => { c.function.instance = { idletime: '10 minutes' }; }, /^function\.instance\.idletime must be a duration such as "30s" \(got "10 minutes"\)/);
  rejectsConfig((c) => { c.function.instance = { timeout: '5q' }; }, /^function\.instance\.timeout must be a duration .*unknown unit "q"/);
  rejectsConfig((c) => { c.function.instance = { timeout: -5 }; }, /^function\.instance\.timeout must be a duration such as "30s" \(got -5\)$/);
  rejectsConfig((c) => { c.function.instance = { idletime: '-1m' }; }, /^function\.instance\.idletime must not be negative \(got "-1m"\)$/);
  rejectsConfig((c) => { c.server.timeout = ['30s']; }, /^server\.timeout must be a duration such as "30s" \(got \["30s"\]\)$/);
  assert.equal(load((c) => { c.server.timeout = '0'; }).server.timeoutMs, 0);
  assert.equal(load((c) => { c.function.instance = { timeout: '300us' }; }).function.instance.timeoutMs, 0.3);
});

test('names must match the pattern; function.name is required', () => {
  rejectsConfig((c) => { c.function.name = 'bad name'; }, /^function\.name must match \^\[a-zA-Z0-9_-\]\{1,140\}\$ \(got "bad name"\)$/);
  rejectsConfig((c) => { c.name = 'a.b'; }, /^name must match \^\[a-zA-Z0-9_-\]\{1,140\}\$ \(got "a\.b"\)$/);
  rejectsConfig((c) => { c.name = ''; }, /^name must match .* \(got ""\)$/);
  rejectsConfig((c) => { c.function.name = 'x'.repeat(141); }, /^function\.name must match /);
  assert.equal(load((c) => { c.function.name = 'x'.repeat(140); }).function.name.length, 140);
  rejectsConfig((c) => { delete c.function.name; }, /^function\.name is required$/);
  rejectsConfig((c) => { c.function.name = ''; }, /^function\.name is required$/);
  rejectsConfig((c) => { delete c.function; }, /^function\.name is required$/);
  rejectsConfig((c) => { c.function.name = 7; }, /^function\.name must be a string \(got 7\)$/);
  rejectsConfig((c) => { c.function.id = 7; }, /^function\.id must be a string \(got 7\)$/);
});

test('the handler is required and must be file.export', () => {
  rejectsConfig((c) => { delete c.function.handler; }, /^function\.handler is required$/);
  rejectsConfig((c) => { c.function.handler = ' '; }, /^function\.handler is required$/);
  for (const bad of ['x', 'index.', '.handler', '../up.handler', 'a/../b.handler', '/abs/index.handler', 'a//b.h']) {
    rejectsConfig((c) => { c.function.handler = bad; },
      new RegExp(`^function\\.handler must be file\\.export, e\\.g\\. index\\.handler \\(got ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)$`));
  }
  rejectsConfig((c) => { c.function.handler = 3; }, /^function\.handler must be a string \(got 3\)$/);
  assert.equal(load((c) => { c.function.handler = 'lib/app.handlers.main'; }).function.handler, 'lib/app.handlers.main');
});

test('server.address: forms accepted', () => {
  const cases = {
    '0.0.0.0:50051': ['0.0.0.0', 50051], ':50051': ['0.0.0.0', 50051], 'tcp://127.0.0.1:50051': ['127.0.0.1', 50051],
    'grpc://fn-host:9000': ['fn-host', 9000], 'TCP://10.0.0.1:1': ['10.0.0.1', 1], '[::1]:50051': ['::1', 50051],
    'tcp://[::]:50051': ['::', 50051], 'localhost:0': ['localhost', 0], 'a.example.com:65535': ['a.example.com', 65535],
    'openedge_fn:50051': ['openedge_fn', 50051],
  };
  for (const [address, [host, port]] of Object.entries(cases)) {
    const config = load((c) => { c.server.address = address; });
    assert.deepEqual([config.server.host, config.server.port], [host, port], address);
  }
});

test('server.address: required, and bad forms name the field', () => {
  rejectsConfig((c) => { delete c.server.address; }, /^server\.address is required$/);
  rejectsConfig((c) => { c.server.address = ''; }, /^server\.address is required$/);
  rejectsConfig((c) => { delete c.server; }, /^server\.address is required$/);
  rejectsConfig((c) => { c.server.address = 50051; }, /^server\.address must be a string such as "0\.0\.0\.0:50051" \(got 50051\)$/);
  const bad = {
    '0.0.0.0:70000': /port must be a number from 0 to 65535/, '0.0.0.0:': /port must be/, '0.0.0.0:-1': /port must be/,
    '0.0.0.0:50051x': /port must be/, '0.0.0.0': /port is missing/, 'unix:///tmp/s': /only tcp:\/\/ and grpc:\/\//,
    '::1:50051': /\[address\]:port/, '[::1]50051': /\[address\]:port/, '[nothost]:1': /not an IPv6 address/,
    'bad host:1': /not a host name/, '300.1.1.1:1': /not a host name/, 'tcp://h:1/path': /port must be/,
  };
  for (const [address, pattern] of Object.entries(bad)) {
    rejectsConfig((c) => { c.server.address = address; }, new RegExp(`^server\\.address must be host:port, e\\.g\\. "0\\.0\\.0\\.0:50051" \\(got "`));
    rejectsConfig((c) => { c.server.address = address; }, pattern);
  }
});

test('server.message.length.max: a positive whole number up to 2147483647', () => {
  assert.equal(load((c) => { c.server.message = { length: { max: 2147483647 } }; }).server.maxMessageBytes, 2147483647);
  for (const bad of [0, -1, 1.5, 2147483648, '1024']) {
    rejectsConfig((c) => { c.server.message = { length: { max: bad } }; },
      new RegExp(`^server\\.message\\.length\\.max must be a whole number from 1 to 2147483647 \\(got ${JSON.stringify(bad).replace('.', '\\.')}\\)$`));
  }
  rejectsConfig((c) => { c.server.message = 'big'; }, /^server\.message must be an object \(got "big"\)$/);
  rejectsConfig((c) => { c.server.message = { length: 5 }; }, /^server\.message\.length must be an object \(got 5\)$/);
});

test('function.instance: max 1..10000, min 0..max', () => {
  assert.deepEqual(load((c) => { c.function.instance = { min: 3, max: 3 }; }).function.instance.max, 3);
  assert.equal(load((c) => { c.function.instance = { max: 10000 }; }).function.instance.max, 10000);
  for (const bad of [0, -1, 10001, 2.5, '2']) {
    rejectsConfig((c) => { c.function.instance = { max: bad }; },
      new RegExp(`^function\\.instance\\.max must be a whole number from 1 to 10000 \\(got ${JSON.stringify(bad).replace('.', '\\.')}\\)$`));
  }
  rejectsConfig((c) => { c.function.instance = { min: -1 }; }, /^function\.instance\.min must be a whole number from 0 /);
  rejectsConfig((c) => { c.function.instance = { min: 0.5 }; }, /^function\.instance\.min must be a whole number/);
  rejectsConfig((c) => { c.function.instance = { min: 2 }; }, /^function\.instance\.min must not exceed function\.instance\.max \(got min 2, max 1\)$/);
  rejectsConfig((c) => { c.function.instance = [1]; }, /^function\.instance must be an object \(got \[1\]\)$/);
});

test('function.env: strings, numbers and booleans; anything else names the key', () => {
  assert.deepEqual(load((c) => { c.function.env = { A: 'a', N: 80, F: 1.25, B: false, E: '' }; }).function.env,
    { A: 'a', N: '80', F: '1.25', B: 'false', E: '' });
  rejectsConfig((c) => { c.function.env = { FOO: { x: 1 } }; }, /^function\.env\.FOO must be a string \(got \{"x":1\}\)$/);
  rejectsConfig((c) => { c.function.env = { OK: 'y', FOO: ['a'] }; }, /^function\.env\.FOO must be a string/);
  rejectsConfig((c) => { c.function.env = { FOO: null }; }, /^function\.env\.FOO must be a string \(got null\)$/);
  rejectsConfig((c) => { c.function.env = ['A=b']; }, /^function\.env must be an object/);
  rejectsConfig((c) => { c.function.env = 'A=b'; }, /^function\.env must be an object/);
  rejectsConfig((c) => { c.function.env = { 'A=B': 'x' }; }, /^function\.env has a key that cannot be a variable name \(got "A=B"\)$/);
  const env = load((c) => { c.function.env = JSON.parse('{"__proto__": "x"}'); }).function.env;
  assert.equal(Object.getOwnPropertyDescriptor(env, '__proto__')?.value, 'x');
});

test('other wrong types for known keys', () => {
  rejectsConfig((c) => { c.server = 'x'; }, /^server must be an object \(got "x"\)$/);
  rejectsConfig((c) => { c.function = []; }, /^function must be an object \(got \[\]\)$/);
  rejectsConfig((c) => { c.function.codedir = 5; }, /^function\.codedir must be a string \(got 5\)$/);
  rejectsConfig((c) => { c.function.codedir = ''; }, /^function\.codedir must be a directory/);
  rejects(() => readOpenEdgeConfig('{"a": 1', dir), /^-c is not valid JSON: /);
  rejects(() => readOpenEdgeConfig(write('list.yml', '- a\n- b\n'), dir), /^-c \S+list\.yml must hold an object with server and function \(got \["a","b"\]\)$/);
});

test('the first problem found is reported', () => {
  rejectsConfig((c) => { c.name = 'bad name'; c.server.address = ''; c.function.name = 'bad name'; }, /^name must match/);
  rejectsConfig((c) => { c.server.address = ''; c.function.name = 'bad name'; }, /^server\.address is required$/);
});

test('config files: missing, unparsable, a directory', () => {
  const missing = path.join(dir, 'nope.yml');
  rejects(() => readOpenEdgeConfig(missing, dir), new RegExp(`^-c ${missing.replace(/[.\\]/g, '\\$&')}: no such file$`));
  rejects(() => readOpenEdgeConfig('nope.yml', dir), /: no such file$/);
  const badYaml = write('bad.yml', 'server:\n  address: ":1"\n function: x\n');
  rejects(() => readOpenEdgeConfig(badYaml, dir), new RegExp(`^-c ${badYaml.replace(/[.\\]/g, '\\$&')} is not valid YAML: .*line \\d+`));
  rejects(() => readOpenEdgeConfig(write('dup.yaml', 'a: 1\na: 2\n'), dir), /is not valid YAML: .*[Uu]nique|is not valid YAML: .*duplicate/i);
  const badJson = write('bad.json', '{"server": ');
  rejects(() => readOpenEdgeConfig(badJson, dir), new RegExp(`^-c ${badJson.replace(/[.\\]/g, '\\$&')} is not valid JSON: `));
  rejects(() => readOpenEdgeConfig(write('bad.conf', 'a: [\n'), dir), /bad\.conf is not valid YAML: /);
  rejects(() => readOpenEdgeConfig(dir, dir), /is a directory/);
  rejects(() => readOpenEdgeConfig('  ', dir), /^-c needs a config \(inline JSON, or a JSON or YAML file\)$/);
});

test('configArgument: every form, the last one wins, and -c without a value', () => {
  assert.equal(configArgument(['-c', '{"a":1}']), '{"a":1}');
  assert.equal(configArgument(['node', 'main.js', '--config', 'conf.yml']), 'conf.yml');
  assert.equal(configArgument(['-c=conf.yml']), 'conf.yml');
  assert.equal(configArgument(['--config=a=b.yml']), 'a=b.yml');
  assert.equal(configArgument(['-c', 'one.yml', '-c=two.yml']), 'two.yml');
  assert.equal(configArgument(['start', 'examples/hello']), undefined);
  assert.equal(configArgument([]), undefined);
  assert.equal(configArgument(['-cfoo']), undefined);
  for (const argv of [['-c'], ['x', '--config'], ['-c='], ['--config='], ['-c', '']]) {
    rejects(() => configArgument(argv), /^-c needs a config \(inline JSON, or a JSON or YAML file\)$/);
  }
});
