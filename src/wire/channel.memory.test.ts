import { channelSuite } from './channel-suite.test-util.js'
import { createMemoryPair } from './memory-pair.js'

channelSuite('an in-memory pair', () => {
  const { a, b } = createMemoryPair()
  return Promise.resolve({ initiator: a, acceptor: b })
})
