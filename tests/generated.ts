/** @file Running the generated example files (README blocks, doc-comment examples) with their console output muted. */
import { vi } from "vitest";

export async function importQuietly(url: string): Promise<void> {
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    await import(/* @vite-ignore */ url);
  } finally {
    log.mockRestore();
  }
}
