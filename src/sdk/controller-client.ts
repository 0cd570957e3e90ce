import https from 'node:https'
import type { PeerCertificate, SecureContext } from 'node:tls'
import { ZhError, isZhCode } from '../errors.js'
import { checkServerPrincipal } from '../pki/verify.js'
import { clientContext } from './client-context.js'
import { controllerPool, markAnswer, type ControllerPool } from './controller-pool.js'
import { CONTROLLERS_HEADER, parseControllersHeader } from './controller-urls.js'
import type { IdentityFile } from './identity-file.js'

/** Largest controller answer we read. */
const MAX_RESPONSE = 8 * 1024 * 1024
const TIMEOUT_MS = 15_000

/** How to authenticate the controller and ourselves. */
export type ClientTls =
  | {
      mode: 'verified'
      network: string
      ca: string
      cert?: string
      key?: string
      /** The same material, already parsed (an identity's shared context); replaces the three. */
      secureContext?: SecureContext
    }
  /** Only for the first step of enrollment: the CA is not known yet, the caller checks the peer afterwards. */
  | { mode: 'unverified' }

/** An answer from the controller. */
export interface JsonResponse<T> {
  status: number
  data: T
  peerCertificate: PeerCertificate
  /**
   * Every controller replica the answer named (its `zerohook-controllers` header), checked and
   * canonical; empty when it named none or the connection was not verified.
   */
  controllers: string[]
}

/**
 * Sends one JSON request to the controller over TLS 1.3. In verified mode the server must present
 * a certificate of the network CA naming the controller principal (URI SAN), whatever the host.
 * Error answers become a ZhError with the server's code. One URL, one attempt: see
 * {@link ControllerClient} for failing over to another replica.
 */
export function requestJson<T>(
  baseUrl: string,
  tls: ClientTls,
  req: { method: string; path: string; body?: unknown },
): Promise<JsonResponse<T>> {
  const url = new URL(req.path, baseUrl)
  if (url.protocol !== 'https:')
    return Promise.reject(
      new ZhError('ZH_CONFIG_INVALID', `controller URL must be https: ${baseUrl}`),
    )
  const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body))
  const tlsOptions =
    tls.mode === 'verified'
      ? {
          ...(tls.secureContext
            ? { secureContext: tls.secureContext }
            : { ca: tls.ca, cert: tls.cert, key: tls.key }),
          rejectUnauthorized: true,
          checkServerIdentity: checkServerPrincipal({ network: tls.network, kind: 'controller' }),
        }
      : { rejectUnauthorized: false }
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: req.method,
        agent: false,
        minVersion: 'TLSv1.3',
        timeout: TIMEOUT_MS,
        headers: {
          accept: 'application/json',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': payload.length }
            : {}),
        },
        ...tlsOptions,
      },
      (res) => {
        const peerCertificate = (res.socket as import('node:tls').TLSSocket).getPeerCertificate(
          true,
        )
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_RESPONSE) {
            request.destroy(new ZhError('ZH_CONNECT_FAILED', 'controller answer too large'))
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => {
          try {
            const text = Buffer.concat(chunks).toString('utf8')
            const data = (text ? JSON.parse(text) : undefined) as T
            const status = res.statusCode ?? 0
            if (status >= 400) return reject(toError(status, data))
            // Only a controller we verified may tell us where its replicas are.
            const controllers =
              tls.mode === 'verified' ? parseControllersHeader(res.headers[CONTROLLERS_HEADER]) : []
            resolve({ status, data, peerCertificate, controllers })
          } catch {
            reject(new ZhError('ZH_CONNECT_FAILED', `unreadable answer from ${url.origin}`))
          }
        })
        res.on('error', reject)
      },
    )
    request.on('timeout', () =>
      request.destroy(new ZhError('ZH_CONNECT_FAILED', `${url.origin} did not answer in time`)),
    )
    request.on('error', (err) =>
      reject(err instanceof ZhError ? err : wrapNetworkError(err, url.origin)),
    )
    request.end(payload)
  })
}

function wrapNetworkError(err: Error, origin: string): ZhError {
  const cause = (err as NodeJS.ErrnoException).code ?? err.message
  if (err.message.includes('ZH_SERVER_IDENTITY_INVALID'))
    return new ZhError('ZH_SERVER_IDENTITY_INVALID', origin)
  return new ZhError('ZH_CONNECT_FAILED', `${origin}: ${cause}`, { cause: err })
}

/** Gateways in front of a controller say these when it is down or restarting. */
const UNAVAILABLE = new Set([502, 503, 504])

function toError(status: number, data: unknown): ZhError {
  const e = (data as { error?: { code?: unknown; detail?: unknown } } | undefined)?.error
  const detail = typeof e?.detail === 'string' ? e.detail : undefined
  if (e && isZhCode(e.code)) return new ZhError(e.code, detail)
  const err = new ZhError('ZH_CONNECT_FAILED', `controller answered HTTP ${status}`)
  return UNAVAILABLE.has(status) ? err : markAnswer(err)
}

/**
 * Requests made as an enrolled identity (management or endpoint), verified both ways. A
 * controller that cannot be reached is failed over to the next replica the identity knows
 * (its `controllers`, and those the answers name), through the identity's shared
 * {@link ControllerPool}; an error the controller answers is thrown as is.
 *
 * @example
 * const grants = await new ControllerClient(identity).call('GET', '/v1/current-identity/grants')
 */
export class ControllerClient {
  private readonly pool: ControllerPool

  /** `baseUrl` (e.g. `--controller`) is tried first, before the identity's own replicas. */
  constructor(
    private readonly identity: IdentityFile,
    baseUrl = identity.controller,
  ) {
    this.pool = controllerPool(
      baseUrl === identity.controller
        ? identity
        : {
            ...identity,
            controller: baseUrl,
            controllers: [identity.controller, ...(identity.controllers ?? [])],
          },
    )
  }

  /** Sends a request and returns the JSON answer. */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const tls: ClientTls = {
      mode: 'verified',
      network: this.identity.network,
      ca: this.identity.ca,
      cert: this.identity.certificate,
      key: this.identity.key,
      // Parsed once per identity, and shared with its router links and end-to-end dials.
      secureContext: clientContext(this.identity),
    }
    return this.pool.run(async (url) => {
      const r = await requestJson<T>(url, tls, { method, path, body })
      this.pool.learn(r.controllers)
      return r.data
    })
  }
}
