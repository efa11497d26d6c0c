import { useEffect } from 'react';
import { invoke, on, type Res } from '../api.js';
import { useResult, type Loaded } from './ui.js';

/** The removable drives (media:list), reloaded whenever one is inserted or removed (media:changed). */
export function useDrives(): Loaded<Res<'media:list'>> {
  const drives = useResult(() => invoke('media:list', {}), []);
  const reload = drives.reload;
  useEffect(() => on('media:changed', () => reload()), [reload]);
  return drives;
}
