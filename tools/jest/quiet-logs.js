// Integration tests build the apps in-process: keep their request logs out of the test output.
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';
