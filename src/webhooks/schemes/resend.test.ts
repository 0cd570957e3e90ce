import { runSvixSender } from './svix-senders.test-util.js'

runSvixSender('resend', ({ ts, id, filler }) =>
  JSON.stringify({ type: 'email.delivered', created_at: ts, data: { email_id: id, filler } }),
)
