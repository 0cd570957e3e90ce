import { execFile } from 'node:child_process'
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'
import { promisify } from 'node:util'

/** A socket a process holds. */
export interface ProcSocket {
  protocol: 'tcp' | 'tcp6' | 'udp' | 'udp6'
  local: string
  /** For TCP: the kernel state code ('0A' is LISTEN). */
  state: string
}

/**
 * Every TCP and UDP socket the process `pid` holds (Linux): its fds pointing at
 * `socket:[inode]`, matched against /proc/PID/net/{tcp,tcp6,udp,udp6} by inode.
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

/**
 * What a process exposes to the network, as lines a person can read: from /proc on Linux,
 * else from `lsof` (macOS). Also returns how many outbound TCP connections it holds, which
 * shows the receiver is connected (outbound) while listening on nothing.
 */
export async function exposure(pid: number): Promise<{ listening: string[]; outbound: number }> {
  if (process.platform === 'linux') {
    const all = processSockets(pid)
    return {
      listening: listeningSockets(pid).map((s) => `${s.protocol} ${s.local}`),
      outbound: all.filter((s) => s.protocol.startsWith('tcp') && s.state === '01').length,
    }
  }
  const lsof = promisify(execFile)
  const run = async (args: string[]) =>
    (
      await lsof('lsof', ['-nP', '-a', '-p', String(pid), ...args]).catch(() => ({ stdout: '' }))
    ).stdout
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
  const listening = [...(await run(['-iTCP', '-sTCP:LISTEN'])), ...(await run(['-iUDP']))]
  const outbound = (await run(['-iTCP', '-sTCP:ESTABLISHED'])).length
  return { listening, outbound }
}
