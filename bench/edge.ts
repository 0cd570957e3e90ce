import pino from 'pino'
import { RouterLink } from '../src/sdk/router-link.js'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import { startOverlayBed, type OverlayBed } from './overlay-bed.js'
import { median, rate, report } from './report.js'

/**
 * One endpoint connection to the router, as the SDK makes it (knocking first when given keys),
 * until its wire channel is up: TCP, mutual TLS 1.3, the router's proof of identity.
 */
function connectOnce(
  identity: IdentityFile,
  router: { id: string; port: number },
  knock: string[] | undefined,
): () => Promise<void> {
  const log = pino({ level: 'silent' })
  const info = { id: router.id, name: 'r1', address: `127.0.0.1:${router.port}` }
  return () =>
    new Promise<void>((resolve) => {
      const link = new RouterLink(
        info,
        () => identity,
        log,
        () => knock,
      )
      link.once('up', () => {
        link.close()
        resolve()
      })
      link.start()
    })
}

const ROUNDS = 3

/**
 * The router's edge (issue 16): new endpoint connections per second, each from TCP connect to
 * a wire channel the endpoint may use, one at a time and eight in flight, with the CPU each
 * costs the endpoint and the router. Three lanes side by side, in alternating rounds: a plain
 * router without a knock, the same router with a knock (taken, not required), and a router
 * run with --knock (checked: HMACs and the nonce cache).
 */
export async function benchEdge(): Promise<void> {
  const plain = await startOverlayBed()
  const knocking = await startOverlayBed(['--knock'])
  try {
    const lanes: [string, OverlayBed, string[] | undefined][] = [
      ['no knock', plain, undefined],
      ['knock, router without --knock', plain, plain.identities.sender.knock],
      ['knock, router --knock', knocking, knocking.identities.sender.knock],
    ]
    const runs = lanes.map(() => ({
      one: [] as number[],
      eight: [] as number[],
      ep: [] as number[],
      r: [] as number[],
    }))
    for (const [, bed, knock] of lanes) {
      await rate(100, 8, connectOnce(bed.identities.sender, bed.router, knock), () =>
        bed.router.cpuMs(),
      )
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, bed, knock]] of lanes.entries()) {
        const connect = connectOnce(bed.identities.sender, bed.router, knock)
        const cpu = () => bed.router.cpuMs()
        const one = await rate(200, 1, connect, cpu)
        const eight = await rate(400, 8, connect, cpu)
        runs[i]!.one.push(one.perSecond)
        runs[i]!.eight.push(eight.perSecond)
        runs[i]!.ep.push(eight.cpuMs)
        runs[i]!.r.push(eight.otherCpuMs)
      }
    }
    const group = 'edge'
    for (const [i, [label]] of lanes.entries()) {
      const r = runs[i]!
      report(group, `router connections/s, one at a time (${label})`, median(r.one))
      report(group, `router connections/s, 8 in flight (${label})`, median(r.eight))
      report(group, `connection CPU ms, endpoint, 8 in flight (${label})`, median(r.ep))
      report(group, `connection CPU ms, router, 8 in flight (${label})`, median(r.r))
    }
  } finally {
    await plain.close()
    await knocking.close()
  }
}
