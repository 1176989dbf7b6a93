import { FrontierReading, ScanFrontier } from './scan-frontier';

const reading = (lastSeq: string, writers: string[], from: string | null = null): FrontierReading => ({
  from,
  lastSeq,
  writers,
});

/** One run: what the frontier asked for, then the reading applied. */
function run(frontier: ScanFrontier, r: FrontierReading, now = 0) {
  const request = frontier.request(now);
  frontier.apply(request, r);
  return request;
}

describe('ScanFrontier', () => {
  it('starts at the head and runs only after rows were published, at most once per interval', () => {
    const frontier = new ScanFrontier(50);
    expect(frontier.value).toBe('0');
    expect(frontier.due(0)).toBe(false);
    frontier.published();
    expect(frontier.due(0)).toBe(true);
    frontier.request(0);
    frontier.published();
    expect(frontier.due(49)).toBe(false);
    expect(frontier.due(50)).toBe(true);
  });

  it('settles a seq once none of the writers seen after it remain, and passes it in the run after', () => {
    const frontier = new ScanFrontier();
    expect(run(frontier, reading('10', ['a'])).settledSeq).toBeNull(); // candidate L = 10
    expect(run(frontier, reading('20', ['a', 'b'])).settledSeq).toBeNull(); // W = {a, b}
    expect(run(frontier, reading('30', ['b', 'c'])).settledSeq).toBeNull(); // b still writes: wait
    expect(run(frontier, reading('40', ['c'])).settledSeq).toBeNull(); // W gone: 10 settled
    const request = run(frontier, reading('50', ['c'], '11'));
    expect(request).toMatchObject({ settledSeq: '10', from: '0' });
    expect(frontier.value).toBe('11');
    // The next candidate was taken from the reading that settled 10 (L = 40), and W from the one after.
    expect(run(frontier, reading('60', [])).settledSeq).toBeNull();
    expect(run(frontier, reading('70', [])).settledSeq).toBe('40');
  });

  it('keeps the frontier where it is when the statement returns none', () => {
    const frontier = new ScanFrontier();
    run(frontier, reading('10', [], '7'));
    expect(frontier.value).toBe('7');
    run(frontier, reading('20', []));
    expect(frontier.value).toBe('7');
  });

  it('starts a new term from the head and drops a reading of the term before', () => {
    const frontier = new ScanFrontier();
    run(frontier, reading('10', []));
    run(frontier, reading('20', []));
    run(frontier, reading('30', [])); // 10 settled
    const late = frontier.request(0);
    frontier.reset();
    frontier.apply(late, reading('40', [], '11'));
    expect(frontier.value).toBe('0');
    // The new term begins with a new candidate and nothing settled.
    expect(run(frontier, reading('50', ['x'])).settledSeq).toBeNull();
    expect(run(frontier, reading('60', ['x'])).settledSeq).toBeNull();
    expect(run(frontier, reading('70', ['x'])).settledSeq).toBeNull();
  });

  it('runs beside the caller one at a time, and a failed run changes nothing', async () => {
    const frontier = new ScanFrontier(0);
    const errors: unknown[] = [];
    frontier.published();
    let finish!: (r: FrontierReading) => void;
    frontier.advance(
      () => new Promise((resolve) => (finish = resolve)),
      (e) => errors.push(e),
    );
    frontier.published();
    expect(frontier.due()).toBe(false); // one under way
    finish(reading('10', [], '5'));
    await frontier.idle();
    expect(frontier.value).toBe('5');
    expect(frontier.due()).toBe(true);
    frontier.advance(
      () => Promise.reject(new Error('connection lost')),
      (e) => errors.push(e),
    );
    await frontier.idle();
    expect(frontier.value).toBe('5');
    expect(errors).toEqual([new Error('connection lost')]);
  });
});
