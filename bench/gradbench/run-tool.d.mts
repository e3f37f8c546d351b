/** Types of run-tool.mjs (plain JS so that `npm run gradbench-tool` needs no TypeScript loader of its own). */
import type { ChildProcess, StdioOptions } from "node:child_process";
export declare const TOOL_NODE_FLAGS: string[];
export declare const TOOL_ENV: Record<string, string>;
export declare function startTool(stdio: StdioOptions): ChildProcess;
