import { runSvixSender } from './svix-senders.test-util.js'

runSvixSender('svix')
