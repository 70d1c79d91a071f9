import { describe, expect, it } from "vitest";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dockerArgs, launcherFor, runProcess, toolAvailability, ToolRunError, type Invocation } from "../../pipeline/lib/exec.ts";
import type { ToolMetadata } from "../../pipeline/lib/schema.ts";

const meta: ToolMetadata = {
  name: "astra-sim",
  display_name: "ASTRA-sim",
  version: "1",
  license: "MIT",
  methodology: "test",
  runner: {
    kind: "local",
    env: ["ASTRASIM_BIN"],
    docker: { image: "example/astra:1", provenance: "upstream Dockerfile", programs: { sim: "/opt/astra/bin/sim" } },
  },
};

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function inv(dir: string, localBin: string | undefined, timeout_s = 10): Invocation {
  return { program: "sim", localBin, args: ["--in", join(dir, "in"), "x y"], cwd: dir, readOnly: [join(dir, "in")], writable: [join(dir, "out")], timeout_s };
}

describe("process launchers (pipeline/lib/exec.ts)", () => {
  it("runs a local program with the argument array unchanged and returns its output", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exec-"));
    const bin = script(dir, "sim", 'for a in "$@"; do echo "[$a]"; done; echo err >&2');
    const out = await runProcess(meta, inv(dir, bin), { PATH: process.env.PATH });
    expect(out.stdout).toBe(`[--in]\n[${join(dir, "in")}]\n[x y]\n`);
    expect(out.stderr).toBe("err\n");
  });

  it("reports a non-zero exit with the last lines of stderr", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exec-"));
    const bin = script(dir, "sim", "echo partial; echo 'line 1' >&2; echo 'fatal: bad topology' >&2; exit 3");
    await expect(runProcess(meta, inv(dir, bin), { PATH: process.env.PATH })).rejects.toThrow(/^exited with code 3: line 1 \| fatal: bad topology$/);
  });

  it("kills a program that runs past its time limit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exec-"));
    const bin = script(dir, "sim", "sleep 5");
    const t0 = Date.now();
    const err = await runProcess(meta, inv(dir, bin, 0.3), { PATH: process.env.PATH }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolRunError);
    expect((err as Error).message).toBe("timed out after 0.3 s");
    expect(Date.now() - t0).toBeLessThan(4000);
  });

  it("reports a program that cannot be executed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exec-"));
    await expect(runProcess(meta, inv(dir, join(dir, "missing")), { PATH: process.env.PATH })).rejects.toThrow(/^cannot execute .*missing/);
    await expect(runProcess(meta, inv(dir, undefined), { PATH: process.env.PATH })).rejects.toThrow(/no local path/);
  });

  it("builds a network-less Docker command with read-only inputs, the mapped program and a configurable image", () => {
    const dir = "/w";
    const args = dockerArgs(meta, inv(dir, undefined), { DOCKER_TOOLS: "astra-sim" });
    expect(args.slice(0, 4)).toEqual(["run", "--rm", "--network", "none"]);
    // --init and a name (removed with docker rm -f at the limit), no capabilities, a non-root user, limits.
    for (const a of ["--init", "--name", "--cap-drop", "ALL", "--memory", "8192m", "--pids-limit", "4096", "--user"]) expect(args).toContain(a);
    expect(args[args.indexOf("--user") + 1]).not.toMatch(/^0:/);
    expect(args).toContain("/w/in:/w/in:ro");
    expect(args).toContain("/w/out:/w/out");
    expect(args.slice(-7)).toEqual(["-w", "/w", "example/astra:1", "/opt/astra/bin/sim", "--in", "/w/in", "x y"]);
    const other = dockerArgs(meta, inv(dir, undefined), { ASTRA_SIM_DOCKER_IMAGE: "mine/astra:2" });
    expect(other).toContain("mine/astra:2");
    expect(other).not.toContain("example/astra:1");
  });

  it("launches through the docker client when the tool is listed in DOCKER_TOOLS", async () => {
    const dir = mkdtempSync(join(tmpdir(), "exec-"));
    const log = join(dir, "docker-args");
    script(dir, "docker", `printf '%s\\n' "$@" > ${log}; echo 'sys[0] finished, 10 cycles'`);
    const env = { PATH: `${dir}:${process.env.PATH}`, DOCKER_TOOLS: "timeloop,astra-sim" };
    expect(launcherFor(meta, env)).toBe("docker");
    expect(toolAvailability(meta, "ASTRASIM_BIN", env)).toEqual({ available: true });
    const out = await runProcess(meta, inv(dir, undefined), env);
    expect(out.stdout).toBe("sys[0] finished, 10 cycles\n");
    const recorded = readFileSync(log, "utf8").trim().split("\n");
    const name = recorded[recorded.indexOf("--name") + 1]!;
    expect(name).toMatch(/^evaluate-astra-sim-\d+-[0-9a-f]{8}$/);
    expect(recorded).toEqual(dockerArgs(meta, inv(dir, undefined), env, name));
  });

  it("tells an unset tool (re-parse) from a configured but broken one (fail)", () => {
    expect(toolAvailability(meta, "ASTRASIM_BIN", { PATH: "" })).toEqual({ available: false, reason: "ASTRASIM_BIN is not set" });
    expect(toolAvailability(meta, "ASTRASIM_BIN", { PATH: "", ASTRASIM_BIN: "/no/such/bin" })).toMatchObject({ available: false, configured: true });
    expect(toolAvailability(meta, "ASTRASIM_BIN", { PATH: "/nonexistent", DOCKER_TOOLS: "astra-sim" })).toMatchObject({
      available: false,
      configured: true,
      reason: expect.stringMatching(/no docker executable/),
    });
    const noImage = { ...meta, runner: { kind: "local" as const, env: ["ASTRASIM_BIN"] } };
    expect(toolAvailability(noImage, "ASTRASIM_BIN", { PATH: "", DOCKER_TOOLS: "astra-sim" }).reason).toMatch(/no image is set/);
  });
});
