/** Minimal typings for the parts of citation-js the pipeline uses (the packages ship none). Shared by the whole project. */
declare module "@citation-js/core" {
  export interface BibtexEntry {
    type: string;
    label: string;
    properties: Record<string, string | number>;
  }
  export const plugins: {
    input: {
      /** Parse `data` with the parser registered for `format`, e.g. '@bibtex/text'. */
      data(data: unknown, format: string): unknown;
      chain(data: unknown, options?: { forceType?: string; generateGraph?: boolean; target?: string }): unknown;
    };
  };
  export const logger: { setLogLevel?(level: string): void };
  /** The Cite object (used by other parts of the pipeline to list a bib file's entries). */
  export class Cite {
    constructor(data: unknown, options?: Record<string, unknown>);
    data: Record<string, unknown>[];
    format(format: string, options?: Record<string, unknown>): string;
    static async(data: unknown, options?: Record<string, unknown>): Promise<Cite>;
  }
}
declare module "@citation-js/plugin-bibtex";
