/**
 * Which build of a tool runs live. Before any live cell, evaluate records the identity of every
 * path the tool's environment variables name (metadata.runner.env): a file's sha256 and, for a file
 * or directory inside a git checkout, that checkout's commit (and whether it has local changes); for
 * the Docker launcher, the image. A live run is accepted only when the identity matches the pinned
 * one in metadata.yaml (`commit`: the checkout's HEAD, or a sha256 listed in `builds`); otherwise it
 * is refused unless --allow-other-build. The identity of a published live run is written to
 * results/raw/<tool>/build.json, so the results say which build produced them.
 *
 * No tool binary is executed to learn its identity (a `--version` probe of an unknown binary could
 * start a simulation): the sha256 and the git commit identify the build.
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { ToolMetadata } from "./schema.ts";
import { dockerImage, launcherFor } from "./exec.ts";

export interface PathIdentity {
  env: string;
  path: string;
  kind: "file" | "directory";
  sha256?: string;
  git_commit?: string;
  git_dirty?: boolean;
}

export interface BuildIdentity {
  tool: string;
  launcher: "local" | "docker";
  paths: PathIdentity[];
  docker_image?: string;
  pinned_commit?: string;
  /** True when the identity matches the pinned build. */
  verified: boolean;
  /** Why it does not match (when not verified). */
  mismatch?: string;
}

function git(dir: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", ["-C", dir, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

function pathIdentity(env: string, path: string): PathIdentity | undefined {
  if (!existsSync(path)) return undefined;
  const st = statSync(path);
  const isFile = st.isFile();
  const id: PathIdentity = { env, path, kind: isFile ? "file" : "directory" };
  if (isFile) id.sha256 = createHash("sha256").update(readFileSync(path)).digest("hex");
  const dir = isFile ? dirname(path) : path;
  const commit = git(dir, ["rev-parse", "HEAD"]);
  if (commit && /^[0-9a-f]{40}$/.test(commit)) {
    id.git_commit = commit;
    id.git_dirty = (git(dir, ["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  }
  return id;
}

/** The identity of the build a tool would run here, and whether it is the pinned one. */
export function buildIdentity(meta: ToolMetadata, env: NodeJS.ProcessEnv = process.env): BuildIdentity {
  const launcher = launcherFor(meta, env);
  const pinned = meta.commit;
  if (launcher === "docker") {
    const image = dockerImage(meta, env);
    return {
      tool: meta.name,
      launcher,
      paths: [],
      docker_image: image,
      pinned_commit: pinned,
      verified: false,
      mismatch: `the Docker image ${image ?? "(none)"} cannot be tied to commit ${pinned ?? "(none pinned)"}: metadata.yaml pins no image digest`,
    };
  }
  const paths: PathIdentity[] = [];
  for (const v of meta.runner.env) {
    const p = env[v];
    if (!p || /_TIMEOUT_S$/.test(v)) continue;
    const id = pathIdentity(v, p);
    if (id) paths.push(id);
  }
  const builds = meta.builds ?? [];
  const byCommit = pinned !== undefined && paths.some((p) => p.git_commit === pinned);
  const bySha = paths.some((p) => p.sha256 !== undefined && builds.includes(p.sha256));
  const verified = byCommit || bySha;
  const seen = paths.map((p) => `${p.env}=${p.path} (${p.git_commit ? `git ${p.git_commit.slice(0, 12)}${p.git_dirty ? " with local changes" : ""}` : "not in a git checkout"}${p.sha256 ? `, sha256 ${p.sha256.slice(0, 12)}` : ""})`);
  return {
    tool: meta.name,
    launcher,
    paths,
    pinned_commit: pinned,
    verified,
    mismatch: verified
      ? undefined
      : `${seen.join("; ") || "no path to identify"} is not the pinned build (commit ${pinned ?? "none"} in tools-under-test/${meta.name}/metadata.yaml)`,
  };
}
