import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../local/template.ts';

describe('renderTemplate', () => {
  it('replaces every placeholder, repeatedly', () => {
    expect(renderTemplate('a=${A}\nb=${B}:${A}', { A: '1', B: 'x' })).toBe('a=1\nb=x:1');
  });

  it('rejects a placeholder without a value', () => {
    expect(() => renderTemplate('a=${A} b=${B}', { A: '1' })).toThrow(/without a value: B/);
  });

  it('rejects a value the template does not use', () => {
    expect(() => renderTemplate('a=${A}', { A: '1', C: '3' })).toThrow(/not used by the template: C/);
  });

  it('leaves lower-case and $NAME forms alone', () => {
    expect(renderTemplate('${a} $A ${A}', { A: 'v' })).toBe('${a} $A v');
  });
});
