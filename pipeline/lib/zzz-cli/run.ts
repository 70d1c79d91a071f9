/** Entry of the bundled `zzz` (pipeline/build-zzz-cli.mjs -> .work/zzz-cli/zzz.mjs, run by bin/zzz). */
import { main } from "../../zzz-cli.ts";

process.exitCode = main(process.argv.slice(2));
