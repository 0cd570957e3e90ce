/** The /proc socket inspection the quickstart uses, shared with the system tests. */
export {
  listeningSockets,
  processSockets,
  type ProcSocket,
} from '../../src/cli/quickstart/sockets.js'
