// The last thing a test run prints: each failing test (file › name) with the
// first line of its first error, and errors outside tests (a failing
// beforeAll, an unhandled rejection). A red CI log is read from its end; the
// default reporter's full report sits above, thousands of lines up.
import { relative } from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/** The first line that says something, of an error's message. */
function firstLine(error: SerializedError | undefined): string {
  const message = error?.message ?? String(error ?? 'unknown error');
  return message.split('\n').find((line) => line.trim() !== '')?.trim() ?? message;
}

export default class FailureSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const lines: string[] = [];
    for (const module of modules) {
      const file = relative(process.cwd(), module.moduleId);
      for (const error of module.errors()) lines.push(`${file}: ${firstLine(error)}`);
      for (const suite of module.children.allSuites()) {
        for (const error of suite.errors()) lines.push(`${file} › ${suite.fullName}: ${firstLine(error)}`);
      }
      for (const test of module.children.allTests('failed')) lines.push(`${file} › ${test.fullName}\n      ${firstLine(test.result().errors?.[0])}`);
    }
    for (const error of unhandled) lines.push(`unhandled: ${firstLine(error)}`);
    if (lines.length === 0) return;
    console.log(`\n==== ${lines.length} failure${lines.length === 1 ? '' : 's'} ====`);
    for (const line of lines) console.log(`  ✗ ${line}`);
  }
}
