#!/usr/bin/env node
// `npm run bench`: build, run every benchmark module under dist/bench (each exports
// `run(): Promise<{name, figures, notes?}>`), and rewrite bench/RESULTS.md with the machine,
// the date and every figure (median, min, max of several runs).
// `npm run bench -- rule-engine` runs only the benchmarks whose file name contains the word.
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { build } = require('./build')

const root = path.resolve(__dirname, '..')
if (!build()) process.exit(1)

const filters = process.argv.slice(2)
const dir = path.join(root, 'dist', 'bench')
const files = fs.existsSync(dir)
  ? fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.js') && !f.startsWith('_') && (filters.length === 0 || filters.some((w) => f.includes(w))))
      .sort()
  : []

function machine() {
  const cpus = os.cpus()
  return {
    cpu: cpus[0] ? cpus[0].model : 'unknown',
    cores: cpus.length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    os: `${os.type()} ${os.release()}`
  }
}

function fmt(n) {
  if (typeof n !== 'number') return String(n)
  if (Math.abs(n) >= 100) return n.toFixed(0)
  if (Math.abs(n) >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

async function main() {
  const results = []
  for (const file of files) {
    const mod = require(path.join(dir, file))
    if (typeof mod.run !== 'function') continue
    process.stdout.write(`bench ${file} ...\n`)
    const started = Date.now()
    const result = await mod.run()
    result.seconds = (Date.now() - started) / 1000
    results.push(result)
    for (const [k, v] of Object.entries(result.figures)) {
      process.stdout.write(`  ${k}: median ${fmt(v.median)} ${v.unit} (min ${fmt(v.min)}, max ${fmt(v.max)})\n`)
    }
  }
  if (results.length === 0) {
    console.log('no benchmarks yet')
    return
  }
  const m = machine()
  const out = [
    '# Benchmark results',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString()}.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory}, Node ${m.node}, ${m.os}. Shared and noisy: read medians and ratios.`,
    '',
    `Time taken: ${results.map((r) => `${r.name} ${Math.round(r.seconds)} s`).join(', ')}; ${Math.round(results.reduce((a, r) => a + r.seconds, 0))} s in all.`,
    ''
  ]
  for (const r of results) {
    out.push(`## ${r.name}`, '')
    if (r.description) out.push(r.description, '')
    out.push('| figure | median | min | max | unit |', '|---|---|---|---|---|')
    for (const [k, v] of Object.entries(r.figures)) out.push(`| ${k} | ${fmt(v.median)} | ${fmt(v.min)} | ${fmt(v.max)} | ${v.unit} |`)
    out.push('')
    for (const note of r.notes || []) out.push(`- ${note}`)
    if (r.notes && r.notes.length) out.push('')
  }
  const target = path.join(root, 'bench', 'RESULTS.md')
  // Running a subset keeps the other sections of the file as they were.
  if (filters.length && fs.existsSync(target)) {
    const old = fs.readFileSync(target, 'utf8')
    const kept = old
      .split(/\n(?=## )/)
      .slice(1)
      .filter((s) => !results.some((r) => s.startsWith(`## ${r.name}\n`)))
    out.push(...kept.map((s) => s.trimEnd() + '\n'))
  }
  fs.writeFileSync(target, out.join('\n'))
  console.log(`wrote ${path.relative(root, target)}`)
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  }
)
