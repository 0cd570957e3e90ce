import { execFile } from 'node:child_process'
import { once } from 'node:events'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { removeIdentity } from '../controller/ops/identities.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { REFUSAL_CLOSE_MS } from './edge.js'
import { impostors, type Credentials } from './impostors.test-util.js'
import { rawLink, startRouterBed, type RouterBed } from './router.test-util.js'
import { startWireTap, type Recording, type WireTap } from './wire-tap.test-util.js'

/** What OpenSSL's trace of a client shows of the server's CertificateRequest. */
function certificateRequest(port: number): Promise<string> {
  // A child process: the trace goes straight to file descriptor 2.
  const script = `
    const s = require('node:tls').connect({ host: '127.0.0.1', port: ${port}, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
    s.enableTrace()
    s.on('error', () => undefined)
    s.on('close', () => process.exit(0))
    setTimeout(() => process.exit(0), 5000)`
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], (err, _stdout, stderr) => {
      if (err) return reject(new Error(`the traced client failed: ${err.message}`))
      const at = stderr.indexOf('CertificateRequest')
      if (at < 0) return resolve('')
      const end = stderr.indexOf('Received Record', at)
      resolve(stderr.slice(at, end < 0 ? undefined : end))
    })
  })
}

/** One client through the tap, as a scanner would connect: no trust, any certificate it has. */
async function scan(tap: WireTap, credentials?: Credentials): Promise<Recording> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port: tap.port,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.3',
    ...credentials,
  })
  socket.on('error', () => undefined)
  const timer = setTimeout(() => socket.destroy(), 5000)
  const recording = await tap.next()
  clearTimeout(timer)
  socket.destroy()
  return recording
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

describe("router edge: what a scanner learns from the router's port", { timeout: 60_000 }, () => {
  let bed: RouterBed
  let tap: WireTap
  let dialer: IdentityFile
  let revoked: IdentityFile

  beforeAll(async () => {
    bed = await startRouterBed()
    tap = await startWireTap(bed.router.port)
    dialer = await bed.endpoint('dialer', [])
    revoked = await bed.endpoint('revoked', [])
    // Connected, then revoked: the router has the revocation once it closed the session.
    const session = await rawLink(bed, revoked)
    const dropped = once(session, 'close')
    await removeIdentity(bed.c.ctx, 'revoked')
    await dropped
  })
  afterAll(async () => {
    await tap?.close()
    await bed?.stop()
  })

  it('names no certificate authority in its CertificateRequest', async () => {
    const request = await certificateRequest(bed.router.port)
    expect(request).toContain('signature_algorithms')
    expect(request).not.toContain('certificate_authorities')
  })

  it('serves a certificate that names neither the product, the network nor the router', async () => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: bed.router.port,
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
    })
    socket.on('error', () => undefined)
    await once(socket, 'secureConnect')
    const cert = socket.getPeerX509Certificate()!
    socket.destroy()
    // A random name for subject and issuer, no alternative names, and nothing else in the DER.
    expect(cert.subject).toMatch(/^CN=[0-9a-f]{16}$/)
    expect(cert.issuer).toBe(cert.subject)
    expect(cert.subjectAltName).toBeUndefined()
    const der = cert.raw.toString('latin1')
    for (const secret of ['zerohook', 'urn:', 'bed CA', bed.routerId]) {
      expect(der).not.toContain(secret)
    }
  })

  it('refuses every client alike: the same bytes after the handshake, the same close, at the same time', async () => {
    const cases: [string, () => Promise<Credentials | undefined>][] = [
      ...impostors(() => ({ bed, victim: dialer })).map(
        ([what, credentials]) => [what, credentials] as const,
      ),
      ['a revoked certificate', async () => ({ cert: revoked.certificate, key: revoked.key })],
    ] as [string, () => Promise<Credentials | undefined>][]
    const seen: { what: string; layout: string; close: string; ms: number[] }[] = []
    for (const [what, credentials] of cases) {
      const creds = await credentials()
      const runs = [await scan(tap, creds), await scan(tap, creds), await scan(tap, creds)]
      seen.push({
        what,
        layout: JSON.stringify(runs.map((r) => r.afterHandshake)),
        close: [...new Set(runs.map((r) => r.close))].join(','),
        ms: runs.map((r) => r.closeMs),
      })
    }
    // Byte for byte the same shape: the records after the handshake, and a plain close.
    const first = seen[0]!
    for (const s of seen) {
      expect({ what: s.what, layout: s.layout, close: s.close }).toEqual({
        what: s.what,
        layout: first.layout,
        close: 'fin',
      })
    }
    // And at the same time, whatever was checked: never before the fixed delay, and the medians
    // of the cases within a few milliseconds of each other (generous: two shared cores).
    const medians = seen.map((s) => median(s.ms))
    for (const m of medians) expect(m).toBeGreaterThanOrEqual(REFUSAL_CLOSE_MS - 2)
    expect(Math.max(...medians) - Math.min(...medians)).toBeLessThan(15)
  })
})
