import { useCallback, useEffect, useState } from 'preact/hooks'
import { describeError } from './api.js'

/** Data a page loads, with the error of its last load and a way to load it again. */
export interface Loaded<T> {
  data: T | undefined
  error: string | undefined
  reload: () => void
}

/** Loads `load()` when the page opens and whenever `reload` is called. */
export function useData<T>(load: () => Promise<T>): Loaded<T> {
  const [data, setData] = useState<T>()
  const [error, setError] = useState<string>()
  const [round, setRound] = useState(0)
  useEffect(() => {
    let current = true
    load().then(
      (d) => current && (setData(d), setError(undefined)),
      (e: unknown) => current && setError(describeError(e)),
    )
    return () => {
      current = false
    }
    // `load` is a fresh closure each render; loading again is what `reload` is for.
  }, [round])
  const reload = useCallback(() => setRound((r) => r + 1), [])
  return { data, error, reload }
}
