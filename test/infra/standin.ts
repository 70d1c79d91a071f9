/**
 * Stand-in programs for the tests against real daemons (no third-party tool code): tiny shell
 * scripts written at test time.
 *  - replayMapper: a timeloop-mapper stand-in on the recorded-fixture path: called as
 *    `timeloop-mapper arch problem mapper -o <cell dir>`, it copies the recorded stats of that cell
 *    (results/raw/timeloop/<cell id>.txt, or <replay dir>/<cell id>.txt in an image) to
 *    <cell dir>/timeloop-mapper.stats.txt, so the real adapter prepares, launches and parses.
 *  - probe: reports what a launched program sees (user, network interfaces, whether its read-only
 *    input can be written, its memory and process limits); `probe hang` ignores SIGTERM and never ends.
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const RAW_TIMELOOP = resolve("results/raw/timeloop");
export const STATS_FILE = "timeloop-mapper.stats.txt";

export function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/**
 * The replaying mapper. `special` is shell run first with $id set to the cell id (e.g. to fail or
 * hang on one cell).
 */
export function replayMapper(replayDir = RAW_TIMELOOP, special = ""): string {
  const dir = mkdtempSync(join(tmpdir(), "standin-"));
  return script(
    dir,
    "timeloop-mapper",
    [
      '# args: arch.yaml problem.yaml mapper.yaml -o <cell dir>',
      'out="$5"; id="$(basename "$out")"',
      special,
      `src="\${REPLAY_DIR:-${replayDir}}/$id.txt"`,
      '[ -f "$src" ] || { echo "ERROR: no recorded stats for $id" >&2; exit 2; }',
      `cp "$src" "$out/${STATS_FILE}"`,
      'echo "replayed $id"',
    ].join("\n"),
  );
}

export const PROBE = [
  'if [ "$1" = hang ]; then trap "" TERM INT; echo hanging; while :; do sleep 1; done; fi',
  'in="$1"; out="$2"',
  'echo "uid=$(id -u)"',
  'echo "net: $(ls /sys/class/net | tr "\\n" " ")"',
  'if (echo overwrite > "$in/input.txt") 2>/dev/null; then echo "ro-write: allowed"; else echo "ro-write: denied"; fi',
  'echo "input: $(cat "$in/input.txt")"',
  'if echo result > "$out/result.txt"; then echo "out-write: ok"; else echo "out-write: denied"; fi',
  'for f in /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max; do [ -f "$f" ] && echo "memory-limit: $(cat "$f")"; done',
  'for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -f "$f" ] && echo "pids-limit: $(cat "$f")"; done',
  'exit 0',
].join("\n");
