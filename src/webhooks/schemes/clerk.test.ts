import { runSvixSender } from './svix-senders.test-util.js'

runSvixSender('clerk', ({ ts, id, filler }) =>
  JSON.stringify({ type: 'user.created', object: 'event', timestamp: ts, data: { id, filler } }),
)
