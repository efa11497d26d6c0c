import { describe, expect, it } from 'vitest';
import type { TaskInfo } from '../contract/tasks.js';
import { AirlockError } from '../errors.js';
import { estimateEta, TaskRegistry } from './registry.js';

const admin = { name: 'ada', source: 'test', role: 'admin' } as const;

describe('TaskRegistry', () => {
  it('keeps the newest `cap` finished tasks and every running one', () => {
    const tasks = new TaskRegistry(() => new Date(), 3);
    tasks.begin({ id: 'running', kind: 'scan', title: 'Scan', actor: admin });
    for (let i = 0; i < 5; i++) {
      tasks.begin({ id: `t${i}`, kind: 'export', title: 'Export', actor: admin });
      tasks.finish(`t${i}`, { summary: 'ok' });
    }
    expect(tasks.list(admin).map((t) => t.id)).toEqual(['t4', 't3', 't2', 'running']);
  });

  it('failed keeps the error; an AbortError or CANCELLED is cancelled; a listener that throws stops nothing', async () => {
    const tasks = new TaskRegistry();
    const seen: TaskInfo[] = [];
    tasks.subscribe(() => {
      throw new Error('gone');
    });
    const off = tasks.subscribe((t) => seen.push(t));
    const start = (id: string) => ({ id, kind: 'import' as const, title: id, actor: admin });
    await expect(
      tasks.track(
        start('a'),
        undefined,
        async () => Promise.reject(new AirlockError('TAR_INVALID', 'bad')),
        () => ({
          summary: '',
        }),
      ),
    ).rejects.toThrow('bad');
    await expect(
      tasks.track(
        start('b'),
        undefined,
        async () => Promise.reject(new DOMException('x', 'AbortError')),
        () => ({
          summary: '',
        }),
      ),
    ).rejects.toThrow();
    expect(tasks.list(admin).map((t) => [t.id, t.state, t.error?.code ?? null])).toEqual([
      ['b', 'cancelled', null],
      ['a', 'failed', 'TAR_INVALID'],
    ]);
    off();
    const count = seen.length;
    tasks.begin(start('c'));
    expect(seen.length).toBe(count);
  });

  it('estimates the time left from the rate, else the mean rate so far', () => {
    const at = (done: number, total: number | null, rate: number | null) =>
      ({ operationId: 'x', phase: 'p', done, total, rate, unit: 'items' }) as const;
    expect(estimateEta(at(10, 100, 3), 1)).toBe(30);
    expect(estimateEta(at(10, 100, null), 2)).toBe(18);
    expect(estimateEta(at(0, 100, null), 2)).toBeNull();
    expect(estimateEta(at(100, 100, null), 2)).toBe(0);
    expect(estimateEta(at(5, null, 1), 2)).toBeNull();
  });
});
