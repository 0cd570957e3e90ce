import type { Command } from 'commander'
import { adminClient, withAdminOptions, type AdminOptions } from './admin.js'
import { emit, printTable } from './output.js'

interface LinksResponse {
  routers: { id: string; links: Record<string, number>; routes: Record<string, string[]> }[]
}

/**
 * `zerohook router links`: the live router graph as the controller sees it (each link with its
 * measured RTT) and how many services each router has a path to.
 */
export function routerLinksCommand(router: Command): void {
  withAdminOptions(router.command('links'))
    .description('Show the links between live routers, their RTT, and the routes computed')
    .action(async (opts: AdminOptions) => {
      const r = await (await adminClient(opts)).call<LinksResponse>('GET', '/v1/router-links')
      emit(opts.json, r, () => {
        const rows = r.routers.flatMap((x) => {
          const links = Object.entries(x.links)
          const routes = String(Object.keys(x.routes).length)
          if (links.length === 0) return [{ router: x.id, peer: '-', rtt: '-', routes }]
          return links.map(([peer, rtt]) => ({ router: x.id, peer, rtt: rtt.toFixed(1), routes }))
        })
        printTable(rows, [
          ['ROUTER', (x) => x.router],
          ['PEER', (x) => x.peer],
          ['RTT_MS', (x) => x.rtt],
          ['SERVICES_ROUTED', (x) => x.routes],
        ])
      })
    })
}
