import type { ComponentType } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { describeError, loadSession } from './api.js'
import { AccessPage } from './pages/access.js'
import { DeliveriesPage } from './pages/deliveries.js'
import { IdentitiesPage } from './pages/identities.js'
import { LivePage } from './pages/live.js'
import { OverviewPage } from './pages/overview.js'
import { PoliciesPage } from './pages/policies.js'
import { ServicesPage } from './pages/services.js'
import type { Session } from './types.js'

const PAGES: { path: string; title: string; page: ComponentType<{ session: Session }> }[] = [
  { path: '/', title: 'Overview', page: OverviewPage },
  { path: '/identities', title: 'Identities', page: IdentitiesPage },
  { path: '/services', title: 'Services', page: ServicesPage },
  { path: '/policies', title: 'Policies', page: PoliciesPage },
  { path: '/access', title: 'Access', page: AccessPage },
  { path: '/live', title: 'Live', page: LivePage },
  { path: '/deliveries', title: 'Deliveries', page: DeliveriesPage },
]

/** The console: a navigation bar and one page at a time, chosen by the URL path. */
export function App() {
  const [session, setSession] = useState<Session>()
  const [error, setError] = useState<string>()
  const [path, setPath] = useState(location.pathname)

  useEffect(() => {
    loadSession().then(setSession, (e: unknown) => setError(describeError(e)))
    const onPop = () => setPath(location.pathname)
    addEventListener('popstate', onPop)
    return () => removeEventListener('popstate', onPop)
  }, [])

  const current = PAGES.find((p) => p.path === path) ?? PAGES[0]!
  useEffect(() => {
    document.title = `${current.title} · zerohook console`
  }, [current])

  function go(e: MouseEvent, to: string) {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return
    e.preventDefault()
    history.pushState(null, '', to)
    setPath(to)
  }

  const Page = current.page
  return (
    <>
      <header>
        <p class="brand">zerohook console</p>
        {session && (
          <p class="who">
            network <strong>{session.network}</strong> · signed in as {session.admin}
          </p>
        )}
      </header>
      <nav aria-label="Pages">
        <ul>
          {PAGES.map((p) => (
            <li key={p.path}>
              <a
                href={p.path}
                aria-current={p === current ? 'page' : undefined}
                onClick={(e) => go(e, p.path)}
              >
                {p.title}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main>
        <h1>{current.title}</h1>
        {error && (
          <p role="alert" class="error">
            {error} — open the login URL that <code>zerohook console</code> printed.
          </p>
        )}
        {session && <Page session={session} />}
      </main>
    </>
  )
}
