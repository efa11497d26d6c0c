import { useEffect, useRef } from 'react';
import type { TaskInfo, TaskKind } from '../../../runtime/contract/index.js';
import { invoke, on } from '../api.js';
import { duration, plural, when } from '../format.js';
import { mayCall, screenAllowed, useApp } from '../store.js';
import { Badge, ProgressBar } from './ui.js';

const KIND_LABEL: Record<TaskKind, string> = {
  scan: 'Media scan',
  import: 'Import',
  batch: 'Batch job',
  benchmark: 'Benchmark',
  probe: 'Hardware probe',
  export: 'Audit export',
};

/** Loads the tasks (tasks:list) once signed in and follows `task:changed`; survives navigation and reload. */
export function useTaskFeed(): void {
  const allowed = useApp((s) => s.allowed);
  const setTasks = useApp((s) => s.setTasks);
  const onTaskChanged = useApp((s) => s.onTaskChanged);
  const may = mayCall(allowed, 'tasks:list');
  useEffect(() => {
    if (!may) return;
    const off = on('task:changed', onTaskChanged);
    void invoke('tasks:list', {}).then((r) => {
      if (r.ok) setTasks(r.value);
    });
    return off;
  }, [may, setTasks, onTaskChanged]);
}

/** The top bar's button: how many tasks are running; opens the task centre. */
export function TaskButton() {
  const running = useApp((s) => s.tasks.filter((t) => t.state === 'running').length);
  const total = useApp((s) => s.tasks.length);
  const open = useApp((s) => s.tasksOpen);
  const setOpen = useApp((s) => s.setTasksOpen);
  return (
    <button
      type="button"
      className={open ? 'task-button open' : 'task-button'}
      aria-expanded={open}
      aria-controls="task-centre"
      onClick={() => setOpen(!open)}
      data-testid="tasks-button"
      title={running > 0 ? `${plural(running, 'task')} running` : `${plural(total, 'task')}`}
    >
      <span aria-hidden="true">⇅</span> Tasks
      {running > 0 ? (
        <span className="count" data-testid="tasks-running" aria-label={`${plural(running, 'task')} running`}>
          {running}
        </span>
      ) : null}
    </button>
  );
}

/** The task centre: a panel over the content's right edge, like a download manager's. */
export function TaskCentre() {
  const tasks = useApp((s) => s.tasks);
  const open = useApp((s) => s.tasksOpen);
  const setOpen = useApp((s) => s.setTasksOpen);
  const setTasks = useApp((s) => s.setTasks);
  const allowed = useApp((s) => s.allowed);
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    if (!open) return;
    panel.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [open, setOpen]);
  if (!open) return null;
  const finished = tasks.filter((t) => t.state !== 'running').length;
  const clear = async () => {
    const r = await invoke('tasks:clear', {});
    if (!r.ok) return;
    const list = await invoke('tasks:list', {});
    setTasks(list.ok ? list.value : tasks.filter((t) => t.state === 'running'));
  };
  return (
    <aside
      id="task-centre"
      className="task-centre"
      aria-label="Tasks"
      tabIndex={-1}
      ref={panel}
      data-testid="task-centre"
    >
      <header className="task-head">
        <h2>Tasks</h2>
        <div className="row">
          <button
            type="button"
            className="ghost"
            onClick={() => void clear()}
            disabled={finished === 0 || !mayCall(allowed, 'tasks:clear')}
            data-testid="tasks-clear"
          >
            Clear finished
          </button>
          <button
            type="button"
            className="ghost"
            onClick={() => setOpen(false)}
            aria-label="Close tasks"
            data-testid="tasks-close"
          >
            ✕
          </button>
        </div>
      </header>
      {tasks.length === 0 ? (
        <p className="muted task-empty">
          No tasks yet. Scans, imports, batch jobs, benchmarks and exports show here while they run.
        </p>
      ) : (
        <ul className="task-list">
          {tasks.map((t) => (
            <TaskRow key={t.id} task={t} />
          ))}
        </ul>
      )}
    </aside>
  );
}

function TaskRow({ task }: { task: TaskInfo }) {
  const go = useApp((s) => s.go);
  const allowed = useApp((s) => s.allowed);
  const setOpen = useApp((s) => s.setTasksOpen);
  const link = task.link;
  const linkable = link !== null && screenAllowed(allowed, link.screen);
  return (
    <li className={`task ${task.state}`} data-testid="task" data-task-id={task.id} data-state={task.state}>
      <div className="task-top">
        <span className="task-title" title={task.title}>
          {task.title}
        </span>
        <span className="muted small">{KIND_LABEL[task.kind]}</span>
      </div>
      {task.state === 'running' ? (
        <>
          <ProgressBar event={task.progress ?? undefined} label={task.title} />
          <div className="task-foot">
            <span className="muted small" data-testid="task-eta">
              {task.etaSeconds !== null ? `about ${duration(task.etaSeconds)} left` : 'time left unknown'}
            </span>
            <button
              type="button"
              onClick={() => void invoke('operation:cancel', { operationId: task.id })}
              data-testid="task-cancel"
            >
              Cancel
            </button>
          </div>
        </>
      ) : (
        <div className="task-foot">
          <span data-testid="task-outcome">
            {task.state === 'completed' ? (
              <Badge tone="ok">completed</Badge>
            ) : task.state === 'failed' ? (
              <Badge tone="bad">failed</Badge>
            ) : (
              <Badge tone="neutral">cancelled</Badge>
            )}{' '}
            <span className="small">
              {task.state === 'failed' ? (task.error?.message ?? task.summary) : task.summary}
            </span>
          </span>
          {linkable ? (
            <button
              type="button"
              className="link"
              onClick={() => {
                go(link.screen);
                setOpen(false);
              }}
              data-testid="task-link"
            >
              Open {link.screen}
            </button>
          ) : null}
        </div>
      )}
      <div className="muted small">
        {task.startedBy} · {when(task.startedAt)}
      </div>
    </li>
  );
}
