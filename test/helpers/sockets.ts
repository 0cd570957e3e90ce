import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

/** A socket a process holds, read from /proc. */
export interface ProcSocket {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6'
  local: string
  /** For TCP: the kernel state code ('0A' is LISTEN). */
  state: string
}

/**
 * Every TCP and UDP socket the process `pid` holds: its fds pointing at `socket:[inode]`,
 * matched against /proc/PID/net/{tcp,tcp6,udp,udp6} by inode.
 */
export function processSockets(pid: number): ProcSocket[] {
  const inodes = new Set<string>()
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1]!)
    } catch {
      // the fd closed meanwhile
    }
  }
  const found: ProcSocket[] = []
  for (const protocol of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
    const lines = readFileSync(`/proc/${pid}/net/${protocol}`, 'utf8').trim().split('\n').slice(1)
    for (const line of lines) {
      const cols = line.trim().split(/\s+/)
      if (inodes.has(cols[9]!)) found.push({ protocol, local: cols[1]!, state: cols[3]! })
    }
  }
  return found
}

/** The listening TCP sockets and all UDP sockets of a process (a dark receiver has none). */
export function listeningSockets(pid: number): ProcSocket[] {
  return processSockets(pid).filter((s) => s.protocol.startsWith('udp') || s.state === '0A')
}
