import type { ServerResponse } from 'node:http'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { signEnrollToken } from '../controller/enrollment/token.js'
import { parseCsr } from '../pki/csr.js'
import { fingerprint } from '../pki/inspect.js'
import { issueCertificate } from '../pki/issue.js'
import { principalUri } from '../pki/uri.js'
import {
  answerJson,
  startFakeController,
  type FakeController,
} from './controller-pool.test-util.js'
import { createTestNetwork, NETWORK, type TestNetwork } from './e2e/e2e.test-util.js'
import { enrollWithToken } from './enroll.js'

const OTHER = 'https://127.0.0.1:4002'

describe('enrollWithToken records the controller replicas', () => {
  let network: TestNetwork
  const started: FakeController[] = []
  beforeAll(async () => {
    network = await createTestNetwork()
  })
  afterEach(async () => {
    await Promise.all(started.splice(0).map((c) => c.close()))
  })

  /**
   * A controller that enrolls anyone: its answer lists `listed` (if given) in the body, and
   * `header` in the zerohook-controllers header.
   */
  async function enroll(answer: { listed?: (self: string) => unknown; header?: string }) {
    let self = ''
    const c = await startFakeController(network, async (req, res: ServerResponse, body) => {
      if (req.url === '/v1/ca') return answerJson(res, { network: NETWORK, ca: network.ca.certPem })
      if (req.url === '/v1/network')
        return answerJson(res, { network: NETWORK, grantKey: network.signingKey.publicJwk })
      const { csr } = JSON.parse(body) as { csr: string }
      const { publicKeyPem } = await parseCsr(csr, { commonName: 'id-1' })
      const cert = await issueCertificate({
        ca: network.ca,
        publicKeyPem,
        commonName: 'id-1',
        uri: principalUri(NETWORK, 'identity', 'id-1'),
      })
      const result = {
        id: 'id-1',
        name: 'jenkins',
        kind: 'endpoint',
        network: NETWORK,
        controller: self,
        certificate: cert.certPem,
        ca: network.ca.certPem,
        grantKey: network.signingKey.publicJwk,
        ...(answer.listed ? { controllers: answer.listed(self) } : {}),
      }
      answerJson(res, result, answer.header)
    })
    started.push(c)
    self = c.url
    const { token } = await signEnrollToken(network.signingKey, {
      url: c.url,
      caf: fingerprint(network.ca.certPem),
      net: NETWORK,
      sub: 'id-1',
      em: 'identity',
    })
    return { url: c.url, identity: await enrollWithToken(token) }
  }

  it('takes the list of the answer, the controller first, junk left out', async () => {
    const { url, identity } = await enroll({
      listed: (self) => [OTHER, self, 'http://127.0.0.1:1', 42],
      header: 'https://127.0.0.1:4003',
    })
    expect(identity.controller).toBe(url)
    expect(identity.controllers).toEqual([url, OTHER])
  })

  it('falls back to the header, then to the controller alone', async () => {
    const fromHeader = await enroll({ header: `${OTHER}, junk` })
    expect(fromHeader.identity.controllers).toEqual([fromHeader.url, OTHER])
    const alone = await enroll({})
    expect(alone.identity.controllers).toEqual([alone.url])
  })
})
