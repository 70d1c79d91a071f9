#!/usr/bin/env -S node_modules/.bin/tsx
/**
 * `zzz`: ZZZ from the command line (README "ZZZ from the command line"). Run it as `bin/zzz ...`
 * (bundled to JavaScript with esbuild on first use, pipeline/build-zzz-cli.mjs), `make zzz ARGS="..."`
 * or, slower, `tsx pipeline/zzz-cli.ts ...`. The CLI lives in pipeline/ because it reads files;
 * zzz/ stays pure.
 *   zzz predict | serve | train | search [flags]      zzz <command> --help
 * Exit status: 0 ok, 1 usage or input error (bad flag, unknown model, invalid YAML), 2 a
 * configuration ZZZ does not predict (e.g. does not fit in memory).
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { CliError, loadInputs } from "./lib/zzz-cli/load.ts";
import { PHASES, RECOMPUTE, SCHEDULERS, predict, search, serve, train } from "./lib/zzz-cli/commands.ts";
import { predictCsv, predictTable, searchCsv, searchTable, serveCsv, serveTable, trainCsv, trainTable } from "./lib/zzz-cli/format.ts";

type Opts = NonNullable<ParseArgsConfig["options"]>;
const s = (d?: string) => ({ type: "string" as const, ...(d ? { short: d } : {}) });
const COMMON: Opts = { model: s("m"), hardware: s("H"), dtype: s(), json: { type: "boolean" }, csv: { type: "boolean" }, help: { type: "boolean", short: "h" } };
const PAR: Opts = { tp: s(), pp: s(), dp: s(), gpus: s() };
const TRAIN: Opts = { "global-batch": s(), "micro-batch": s(), seq: s(), recompute: s(), sp: s(), "virtual-stages": s(), engine: s() };
const SERVE: Opts = { replicas: s(), scheduler: s(), rate: s(), "prompt-len": s(), "output-len": s(), requests: s(), seed: s(), "max-batch-tokens": s(), chunk: s(), "max-seqs": s() };

const COMMON_HELP = `  -m, --model ID|FILE      a suite model id (suite/models/<id>.yaml) or your own YAML file
  -H, --hardware ID|FILE   a suite hardware id (suite/hardware/<id>.yaml) or your own YAML file
      --dtype T            fp32 tf32 bf16 fp16 fp8 int8 int16 (default bf16)
      --json | --csv       machine-readable output instead of the table
  -h, --help               this text`;

const COMMANDS = {
  predict: {
    options: { ...COMMON, ...PAR, ...TRAIN, phase: s(), batch: s("b"), context: s(), breakdown: { type: "boolean" } } as Opts,
    help: `zzz predict: latency of one step of a model on a device or a tensor/pipeline-parallel group
(the engine, device and system layers; the number the evaluation gives for the same cell).

usage: zzz predict --model ID|FILE --hardware ID|FILE [flags]
${COMMON_HELP}
      --phase P            ${PHASES.join(" | ")} (default prefill)
  -b, --batch N            sequences (or images) per step (default 1)
      --seq N              prompt / sequence length (default 512; train-step: 2048)
      --context N          decode: KV-cache length attended (default 512)
      --engine E           the software stack: pytorch-eager, pytorch-cudagraph, pytorch-compile,
                           vllm, tensorrt-llm, sarathi-serve, ... (default any = fused graph)
      --tp N --pp N --dp N tensor / pipeline / data parallelism (default 1)
      --gpus N             devices; must equal tp x pp x dp (a check)
      --breakdown          per operator (single device) or per part of the step (multi-GPU, train-step)
  train-step takes zzz train's flags too (--global-batch, --micro-batch, --recompute, ...).

example: zzz predict -m llama-2-7b -H h100-sxm5-80gb --phase decode --batch 32 --context 2048`,
  },
  serve: {
    options: { ...COMMON, ...SERVE } as Opts,
    help: `zzz serve: a serving deployment over time (the service layer: arrivals, an iteration-level
scheduler with paged KV cache, replicas behind a round-robin router), one GPU per replica.

usage: zzz serve --model ID|FILE --hardware ID|FILE [flags]
${COMMON_HELP}
      --replicas N         replicas, one GPU each (default 1)
      --scheduler S        ${SCHEDULERS.join(" | ")} (default vllm)
      --max-batch-tokens N tokens per iteration (default 4096; sarathi: the chunk size, 512)
      --chunk N            the same as --max-batch-tokens (Sarathi's chunk size)
      --max-seqs N         sequences per batch (default 128)
      --rate R             Poisson arrivals, requests/s (default: all requests at t = 0)
      --requests N         number of requests (default 100)
      --prompt-len L       prompt tokens: 512, or a uniform range 128-1024 (default 512)
      --output-len L       output tokens, the same forms (default 128)
      --seed N             arrival and length seed (default 42)
Prints TTFT, TPOT and end-to-end latency (p50, p90, p99) and throughput.

example: zzz serve -m llama-2-7b -H h100-sxm5-80gb --rate 4 --requests 200 --scheduler sarathi`,
  },
  train: {
    options: { ...COMMON, ...PAR, ...TRAIN, batch: s("b") } as Opts,
    help: `zzz train: one training step of a parallel plan (the system layer: TP/SP, 1F1B or interleaved
pipeline, DP/ZeRO, recompute): step time and its parts, MFU, memory per device.

usage: zzz train --model ID|FILE --hardware ID|FILE --tp N --pp N --dp N [flags]
${COMMON_HELP}
      --tp N --pp N --dp N tensor / pipeline / data parallelism (default 1)
      --gpus N             devices; must equal tp x pp x dp (a check)
      --global-batch N     sequences per step (default micro-batch x dp)
      --micro-batch N      sequences per micro-batch (required with --pp > 1)
      --seq N              sequence length (default 2048)
      --recompute R        ${RECOMPUTE.join(" | ")} (default none)
      --sp true|false      sequence parallelism (default: the engine's, else false)
      --virtual-stages N   model chunks per pipeline device (interleaved 1F1B; default 1)
      --engine E           megatron-lm, nemo, mxnet, ...: the framework's overlap and ZeRO defaults
                           (tools-under-test/zzz/system-cells.ts frameworkDefaults; default any)

example: zzz train -m gpt-3-175b -H a100-sxm4-80gb --tp 8 --pp 8 --dp 1 --global-batch 64 \\
           --micro-batch 1 --recompute selective --sp true --virtual-stages 3 --engine megatron-lm --dtype fp16`,
  },
  search: {
    options: { ...COMMON, ...TRAIN, ...SERVE, for: s(), objective: s(), "max-gpus": s(), "ttft-slo-ms": s(), "tpot-slo-ms": s(), top: s() } as Opts,
    help: `zzz search: configurations ranked under constraints; the best N with their predictions.

usage: zzz search --model ID|FILE --hardware ID|FILE --max-gpus N [flags]
${COMMON_HELP}
      --for train|serve    what to plan (default serve for decoder models without --global-batch)
      --max-gpus N         at most this many GPUs (required)
      --objective O        throughput (tokens/s, default) | cost (GPU-seconds per million tokens)
      --top N              how many to print (default 5)
  train: TP (powers of 2 within a node) x PP (powers of 2 dividing the layers) x DP x micro-batch
         (1, 2, 4, 8, or --micro-batch); every plan must fit in device memory.
      --global-batch N     sequences per step (required); --seq, --recompute, --sp, --engine as zzz train
  serve: replicas (1..max-gpus, one GPU each) x scheduler (vllm, sarathi, orca, or --scheduler) x
         tokens per iteration / chunk size x sequences per batch (128, 256, or --max-seqs); every
         request must fit in the KV cache. TP/PP inside a serving replica is not searched (the
         service layer's iteration cost is single-device).
      --ttft-slo-ms T      p99 time to first token at most T ms
      --tpot-slo-ms T      p99 time per output token at most T ms
      --rate, --requests, --prompt-len, --output-len, --seed as zzz serve

example: zzz search -m llama-2-7b -H h100-sxm5-80gb --for serve --max-gpus 4 --rate 8 \\
           --requests 200 --ttft-slo-ms 500 --tpot-slo-ms 50`,
  },
} as const;
type Command = keyof typeof COMMANDS;

const TOP_HELP = `zzz: ZZZ's performance model from the command line.

usage: zzz <command> [flags]        zzz <command> --help
  predict   latency of one prefill, decode, forward or training step (--breakdown per operator)
  serve     a serving scenario: TTFT/TPOT/E2E percentiles and throughput
  train     a training plan: step time, breakdown, MFU, memory per device
  search    configurations ranked by throughput or cost under GPU, memory and SLO constraints
Models and hardware are suite ids (suite/models, suite/hardware) or your own YAML files, validated
with the suite's schemas (pipeline/lib/schema.ts).`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** ZZZ_TIMING=1: the start-up phases on stderr, in ms since the process started (make bench uses it). */
const timing = process.env.ZZZ_TIMING === "1";
const mark = (what: string) => {
  if (!timing) return;
  const c = process.cpuUsage();
  process.stderr.write(`zzz timing: ${what} ${performance.now().toFixed(1)} ms (cpu ${((c.user + c.system) / 1000).toFixed(1)} ms)\n`);
};

export function main(argv: string[], out: (s: string) => void = (x) => process.stdout.write(x), root = ROOT): number {
  mark("modules loaded");
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    out(`${TOP_HELP}\n`);
    return cmd === undefined ? 1 : 0;
  }
  if (!(cmd in COMMANDS)) {
    process.stderr.write(`zzz: unknown command '${cmd}'; known: ${Object.keys(COMMANDS).join(", ")}\n`);
    return 1;
  }
  const c = COMMANDS[cmd as Command];
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: c.options, strict: true, allowPositionals: false });
    } catch (e) {
      throw new CliError(`${(e as Error).message.replace(/\. To specify.*$/s, "")} (zzz ${cmd} --help lists the flags)`);
    }
    const v = parsed.values as Record<string, string | boolean | undefined>;
    if (v.help) {
      out(`${c.help}\n`);
      return 0;
    }
    if (v.json && v.csv) throw new CliError("--json and --csv exclude each other");
    const o = Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === "string")) as Record<string, string>;
    const inp = loadInputs(root, o.model, o.hardware);
    mark("model and hardware loaded");
    const fmt = v.json ? "json" : v.csv ? "csv" : "table";
    const emit = <T>(r: T, table: (r: T) => string, csv: (r: T) => string) => out(fmt === "json" ? `${JSON.stringify(r, null, 2)}\n` : fmt === "csv" ? csv(r) : `${table(r)}\n`);
    if (cmd === "predict") emit(predict(inp, o, v.breakdown === true), predictTable, predictCsv);
    else if (cmd === "serve") emit(serve(inp, o), serveTable, serveCsv);
    else if (cmd === "train") emit(train(inp, o), trainTable, trainCsv);
    else emit(search(inp, o), searchTable, searchCsv);
    mark("output written");
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`zzz ${cmd}: ${e.message}\n`);
      return e.message.startsWith("ZZZ does not predict") ? 2 : 1;
    }
    throw e;
  }
}

// Run when executed (tsx pipeline/zzz-cli.ts, or the bundle), not when imported by the tests.
const entry = process.argv[1] ? resolve(process.argv[1]) : "";
if (entry === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
