import { create } from 'zustand';
import type { ProgressEvent } from '../../runtime/contract/index.js';

export const SCREENS = ['home', 'media', 'models', 'run', 'benchmark', 'audit', 'settings'] as const;
export type Screen = (typeof SCREENS)[number];
export type Theme = 'light' | 'dark';

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
  setAuth(auth: null | 'setup' | 'signin' | SignedIn): void;
  screen: Screen;
  theme: Theme;
  /** Latest progress of each long operation, by operationId. */
  progress: Record<string, ProgressEvent>;
  /** Model picked on the Models screen, handed to Run. */
  selectedModel: string | null;
  go(screen: Screen): void;
  setTheme(theme: Theme): void;
  onProgress(event: ProgressEvent): void;
  selectModel(ref: string | null): void;
}

export const useApp = create<AppState>((set) => ({
  auth: null,
  setAuth: (auth) => set({ auth }),
  screen: initialScreen(),
  theme: initialTheme(),
  progress: {},
  selectedModel: null,
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
