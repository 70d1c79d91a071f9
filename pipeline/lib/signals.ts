/**
 * SIGINT/SIGTERM during `make evaluate`: kill every running tool's process group (each launch is
 * detached into its own group, so Ctrl-C does not reach it), discard the staged results, say so,
 * and exit non-zero (130 for SIGINT, 143 for SIGTERM). results/ is never touched: the swap into it
 * is synchronous and cannot be interrupted by a handler. The resume journal is kept.
 */
import { killAllTools } from "./exec.ts";
import { discardAllStages } from "./publish.ts";

export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

export function installSignalHandlers(name: string, write: (s: string) => void = (s) => process.stderr.write(s)): () => void {
  const handler = (sig: "SIGINT" | "SIGTERM") => {
    const killed = killAllTools();
    discardAllStages();
    write(`\n${name}: interrupted (${sig}); results/ unchanged${killed ? `; killed ${killed} running tool process group${killed > 1 ? "s" : ""}` : ""}; the next run resumes from .work/evaluate/\n`);
    process.exit(SIGNAL_EXIT[sig]);
  };
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}
