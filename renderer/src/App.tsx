import { useEffect, useLayoutEffect, useState, type ReactNode } from 'react';
import { invoke, on, onAuthRequired } from './api.js';
import { AuthScreen } from './screens/AuthScreen.js';
import { NetworkBadge } from './components/NetworkBadge.js';
import { TaskButton, TaskCentre, useTaskFeed } from './components/TaskCentre.js';
import { SCREENS, screenAllowed, useApp, type Screen } from './store.js';
import { AuditScreen } from './screens/AuditScreen.js';
import { BenchmarkScreen } from './screens/BenchmarkScreen.js';
import { HomeScreen } from './screens/HomeScreen.js';
import { MediaScreen } from './screens/MediaScreen.js';
import { ModelsScreen } from './screens/ModelsScreen.js';
import { RunScreen } from './screens/RunScreen.js';
import { SettingsScreen } from './screens/SettingsScreen.js';

const TITLES: Record<Screen, string> = {
  home: 'Home',
  media: 'Media',
  models: 'Models',
  run: 'Run',
  benchmark: 'Benchmark',
  audit: 'Audit',
  settings: 'Settings',
};

const ICONS: Record<Screen, string> = {
  home: '⌂',
  media: '⇩',
  models: '▤',
  run: '▶',
  benchmark: '◷',
  audit: '☰',
  settings: '⚙',
};

function Body({ screen }: { screen: Screen }): ReactNode {
  switch (screen) {
    case 'home':
      return <HomeScreen />;
    case 'media':
      return <MediaScreen />;
    case 'models':
      return <ModelsScreen />;
    case 'run':
      return <RunScreen />;
    case 'benchmark':
      return <BenchmarkScreen />;
    case 'audit':
      return <AuditScreen />;
    case 'settings':
      return <SettingsScreen />;
  }
}

export function App() {
  const { screen, theme, go, setTheme, onProgress, auth, setAuth, allowed, setAllowed } = useApp();
  const [minLength, setMinLength] = useState(10);
  const signedIn = typeof auth === 'object' && auth !== null ? auth.name : null;

  // Before any passive effect: a chart redrawn for the new theme reads the new theme's colours.
  useLayoutEffect(() => {
    document.documentElement.dataset['theme'] = theme;
  }, [theme]);

  // Accounts: the first start asks for the admin, then sign-in.
  useEffect(() => {
    void invoke('auth:status', {}).then((r) => {
      if (!r.ok) return setAuth('signin');
      setMinLength(r.value.passwordMinLength);
      setAuth(r.value.needsSetup ? 'setup' : r.value.account ? r.value.account : 'signin');
      if (r.value.account) setAllowed(r.value.allowed);
    });
    return onAuthRequired(() => setAuth('signin'));
  }, [setAuth, setAllowed]);

  // After a sign-in: which channels this account may call, asked once (auth:status).
  useEffect(() => {
    if (signedIn === null || allowed !== null) return;
    let live = true;
    void invoke('auth:status', {}).then((r) => {
      if (live) setAllowed(r.ok ? r.value.allowed : []);
    });
    return () => {
      live = false;
    };
  }, [signedIn, allowed, setAllowed]);

  // A screen this role cannot use (an old address, a reload) is Home instead.
  useEffect(() => {
    if (allowed !== null && !screenAllowed(allowed, screen)) go('home');
  }, [allowed, screen, go]);

  useTaskFeed();

  useEffect(() => on('operation:progress', onProgress), [onProgress]);

  const visibleScreens = () => SCREENS.filter((s) => screenAllowed(useApp.getState().allowed, s));

  // Alt+1..7 jumps to a screen; the sidebar is also reachable with Tab.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const i = Number(e.key) - 1;
      const target = visibleScreens()[i];
      if (target) {
        e.preventDefault();
        go(target);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (auth === null) return null;
  if (auth === 'setup' || auth === 'signin')
    return <AuthScreen key={auth} mode={auth} minLength={minLength} />;

  const signOut = async () => {
    await invoke('auth:logout', {});
    setAuth('signin');
  };

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Screens">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◈
          </span>
          <span>Airlock</span>
        </div>
        <ul>
          {SCREENS.filter((s) => screenAllowed(allowed, s)).map((s, i) => (
            <li key={s}>
              <button
                type="button"
                className={s === screen ? 'nav-item active' : 'nav-item'}
                aria-current={s === screen ? 'page' : undefined}
                onClick={() => go(s)}
                data-testid={`nav-${s}`}
              >
                <span className="nav-icon" aria-hidden="true">
                  {ICONS[s]}
                </span>
                <span className="nav-label">{TITLES[s]}</span>
                <kbd aria-label={`Alt+${i + 1}`}>Alt {i + 1}</kbd>
              </button>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <div className="account" data-testid="account">
            <span className="account-name">{auth.name}</span>
            <span className="account-role">{auth.role}</span>
          </div>
          <button type="button" className="ghost" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
          <button
            type="button"
            className="ghost"
            onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
            data-testid="theme-toggle"
          >
            {theme === 'dark' ? '☀ Light theme' : '☾ Dark theme'}
          </button>
        </div>
      </nav>
      <div className="content">
        <header className="topbar">
          <h1>{TITLES[screen]}</h1>
          <div className="topbar-tools">
            {allowed !== null && allowed.includes('tasks:list') ? <TaskButton /> : null}
            <NetworkBadge />
          </div>
        </header>
        <div className="content-body">
          <main id="main" tabIndex={-1} data-testid={`screen-${screen}`}>
            {allowed !== null && screenAllowed(allowed, screen) ? <Body screen={screen} /> : null}
          </main>
          <TaskCentre />
        </div>
      </div>
    </div>
  );
}
