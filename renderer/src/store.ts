import { create } from 'zustand';
import type { ProgressEvent, TaskInfo } from '../../runtime/contract/index.js';

export const SCREENS = ['home', 'media', 'models', 'run', 'benchmark', 'audit', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];
export type Theme = 'light' | 'dark';

/**
 * The channels a screen calls as soon as it opens: a role without all of them cannot use the
 * screen at all, so its nav entry is hidden (visiting it would only write refusals).
 */
export const SCREEN_NEEDS: Record<Screen, readonly string[]> = {
  home: [],
  media: ['media:scan'],
  models: ['models:list'],
  run: ['inference:run', 'models:list'],
  benchmark: ['bench:run', 'bench:results', 'bench:tuned'],
  audit: ['audit:list'],
  settings: [],
};

function initialTheme(): Theme {
  const saved = localStorage.getItem('airlock.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function initialScreen(): Screen {
  const hash = location.hash.replace(/^#\/?/, '');
  return (SCREENS as readonly string[]).includes(hash) ? (hash as Screen) : 'home';
}

export interface SignedIn {
  readonly name: string;
  readonly role: 'admin' | 'operator' | 'auditor';
}

interface AppState {
  /** null while unknown; 'setup' on first start; 'signin' when no session; else the account. */
  auth: null | 'setup' | 'signin' | SignedIn;
  /** Sign-in and sign-out both go back to Home: the next account never sees the last one's screen. */
  setAuth(auth: null | 'setup' | 'signin' | SignedIn): void;
  /** The channels the signed-in account may call (auth:status), null until known. */
  allowed: readonly string[] | null;
  setAllowed(allowed: readonly string[] | null): void;
  screen: Screen;
  theme: Theme;
  /** Latest progress of each long operation, by operationId. */
  progress: Record<string, ProgressEvent>;
  /** Model picked on the Models screen, handed to Run. */
  selectedModel: string | null;
  /** The task centre: the engine's tasks (tasks:list, then task:changed), newest first. */
  tasks: readonly TaskInfo[];
  setTasks(tasks: readonly TaskInfo[]): void;
  onTaskChanged(task: TaskInfo): void;
  tasksOpen: boolean;
  setTasksOpen(open: boolean): void;
  go(screen: Screen): void;
  setTheme(theme: Theme): void;
  onProgress(event: ProgressEvent): void;
  selectModel(ref: string | null): void;
}

export const useApp = create<AppState>((set, get) => ({
  auth: null,
  setAuth: (auth) => {
    const before = get().auth;
    const changed =
      typeof auth !== 'object' ||
      auth === null ||
      typeof before !== 'object' ||
      before === null ||
      before.name !== auth.name;
    if (!changed) return set({ auth });
    if (before !== null) history.replaceState(null, '', '#home');
    set({
      auth,
      allowed: null,
      tasks: [],
      tasksOpen: false,
      selectedModel: null,
      progress: {},
      // The first answer (a reload) keeps the screen in the address; any later change goes Home.
      ...(before !== null ? { screen: 'home' as const } : {}),
    });
  },
  allowed: null,
  setAllowed: (allowed) => set({ allowed }),
  screen: initialScreen(),
  theme: initialTheme(),
  progress: {},
  selectedModel: null,
  tasks: [],
  setTasks: (tasks) => set({ tasks }),
  onTaskChanged: (task) =>
    set((s) => {
      const i = s.tasks.findIndex((t) => t.id === task.id);
      if (i < 0) return { tasks: [task, ...s.tasks] };
      const tasks = s.tasks.slice();
      tasks[i] = task;
      return { tasks };
    }),
  tasksOpen: false,
  setTasksOpen: (tasksOpen) => set({ tasksOpen }),
  go: (screen) => {
    history.replaceState(null, '', `#${screen}`);
    set({ screen });
  },
  setTheme: (theme) => {
    localStorage.setItem('airlock.theme', theme);
    set({ theme });
  },
  onProgress: (event) => set((s) => ({ progress: { ...s.progress, [event.operationId]: event } })),
  selectModel: (ref) => set({ selectedModel: ref }),
}));

/** True when `allowed` (auth:status) holds every one of these channels. */
export function mayCall(allowed: readonly string[] | null, ...channels: readonly string[]): boolean {
  return allowed !== null && channels.every((c) => allowed.includes(c));
}

/**
 * True when the signed-in account may call this channel. Screens disable what is not allowed
 * (with <NeedsRole/>'s hint) instead of calling it: a refused call is an audit record.
 */
export function useAllowed(channel: string): boolean {
  return useApp((s) => mayCall(s.allowed, channel));
}

/** May this role open the screen at all (every channel it calls when it opens is allowed)? */
export function screenAllowed(allowed: readonly string[] | null, screen: Screen): boolean {
  return mayCall(allowed, ...SCREEN_NEEDS[screen]);
}
