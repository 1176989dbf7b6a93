import { localizePorts, parseTutorialPage } from './tutorial-steps';

const page = (text: string) => parseTutorialPage('ch.md', text);

describe('parseTutorialPage', () => {
  it('reads steps, their options and expectations in order', () => {
    const { steps, errors } = page(
      [
        '# Title',
        '<!-- step -->',
        '```bash',
        'npm run infra:up',
        '```',
        '<!-- expect: smoke test .* ok -->',
        '',
        '<!-- step: background, ready http://127.0.0.1:3001/health/ready, timeout 120 -->',
        '```bash',
        'npm run demo',
        '```',
        '<!-- step: interrupt -->',
      ].join('\n'),
    );
    expect(errors).toEqual([]);
    expect(steps.map((s) => [s.kind, s.line, s.command])).toEqual([
      ['run', 2, 'npm run infra:up'],
      ['background', 8, 'npm run demo'],
      ['interrupt', 12, ''],
    ]);
    expect(steps[0].expect[0].test('kafka smoke test (x): ok in 3 ms')).toBe(true);
    expect(steps[1]).toMatchObject({ readyUrl: 'http://127.0.0.1:3001/health/ready', timeoutSeconds: 120 });
  });

  it('refuses a shell block that is neither a step nor explicitly skipped', () => {
    const { errors, skipped } = page(
      ['```bash', 'rm -rf /', '```', '<!-- no-step: needs a fresh machine -->', '```bash', 'apt-get x', '```'].join(
        '\n',
      ),
    );
    expect(errors).toEqual(['ch.md:1: a shell block without <!-- step --> or <!-- no-step: why -->']);
    expect(skipped).toEqual([{ file: 'ch.md', line: 4, reason: 'needs a fresh machine' }]);
  });

  it('ignores other code blocks, even ones with comments inside', () => {
    const { steps, errors } = page(['```text', '<!-- step -->', '```', '```mermaid', 'flowchart LR', '```'].join('\n'));
    expect(errors).toEqual([]);
    expect(steps).toEqual([]);
  });

  it('reports a marker without a block, an unknown option and a bad expectation', () => {
    expect(page('<!-- step -->\ntext').errors).toEqual(['ch.md:1: step marker not followed by a bash block']);
    expect(page('<!-- step: sometimes -->\n```bash\nx\n```').errors[0]).toContain('unknown step option');
    expect(page('<!-- step -->\n```bash\nx\n```\n<!-- expect: ( -->').errors[0]).toContain('bad regular expression');
  });
});

describe('localizePorts', () => {
  it('maps documented default ports to the ones in effect, and leaves others alone', () => {
    const ports = { 3001: 5001, 55432: 57432 };
    expect(localizePorts('curl -s http://127.0.0.1:3001/orders', ports)).toBe('curl -s http://127.0.0.1:5001/orders');
    expect(localizePorts('postgres://u:p@127.0.0.1:55432/orders', ports)).toBe('postgres://u:p@127.0.0.1:57432/orders');
    expect(localizePorts('http://localhost:9999/ and 3001', ports)).toBe('http://localhost:9999/ and 3001');
  });
});
