import { afterAll, beforeAll } from 'vitest'
import { channelSuite } from './channel-suite.test-util.js'
import { tlsPairs } from './tls.test-util.js'

let pairs: Awaited<ReturnType<typeof tlsPairs>>
beforeAll(async () => {
  pairs = await tlsPairs()
})
afterAll(() => pairs.close())

channelSuite('TLS 1.3 on 127.0.0.1', () => pairs.connect())
