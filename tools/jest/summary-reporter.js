// Ends the run with each failed test's name and the head of its error, then one plain line,
// `jest: N passed, N failed, N skipped`, that CI reads; a CI excerpt shows the tail of a run.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    for (const suite of results.testResults) {
      for (const test of suite.testResults.filter((t) => t.status === 'failed')) {
        const head = (test.failureMessages[0] ?? '')
          .replace(/\x1b\[[0-9;]*m/g, '')
          .split('\n')
          .filter((l) => l.trim())
          .slice(0, 6);
        console.log(`\nfailed: ${test.fullName}\n  ${head.join('\n  ')}`);
      }
      if (suite.testExecError) console.log(`\nfailed to run: ${suite.testFilePath}\n  ${suite.testExecError.message}`);
    }
    console.log(
      `\njest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped`,
    );
  }
}
module.exports = SummaryReporter;
