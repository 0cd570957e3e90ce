import { describe, expect, it } from 'vitest'
import { abuseBed } from './abuse.test-util.js'
import { fuzzConnection, prng } from './fuzz.test-util.js'

const SEED = 20250301
const CONNECTIONS = 160
const PARALLEL = 16

describe('router fuzz', { timeout: 60_000 }, () => {
  const ctx = abuseBed()

  it(`survives ${CONNECTIONS} connections of random and mutated frames (seed ${SEED})`, async () => {
    const stats = {
      frames: 0,
      goaway: new Map<string, number>(),
      resets: new Map<string, number>(),
      outcomes: new Map<string, number>(),
    }
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)
    const progress: number[] = []
    for (let batch = 0; batch < CONNECTIONS / PARALLEL; batch++) {
      const before = ctx.flow.echoed
      await Promise.all(
        Array.from({ length: PARALLEL }, async (_, i) => {
          const seed = SEED + batch * PARALLEL + i
          const probe = await ctx.connect()
          try {
            const frames = await fuzzConnection(probe, prng(seed), ctx.dialMeta)
            stats.frames += frames
            bump(stats.outcomes, await probe.settle(150))
          } finally {
            probe.socket.destroy()
          }
          if (probe.goaway !== undefined) bump(stats.goaway, probe.goaway)
          for (const code of probe.resets.values()) bump(stats.resets, code)
          // A bad connection is closed for what it did, never for an internal error.
          if (probe.goaway !== undefined && !/^ZH_(WIRE|OVERLAY)_[A-Z_]+$/.test(probe.goaway))
            throw new Error(`seed ${seed}: GOAWAY ${probe.goaway}`)
        }),
      )
      progress.push(ctx.flow.echoed - before)
    }
    console.log(
      `fuzz: ${stats.frames} frames`,
      Object.fromEntries(stats.outcomes),
      Object.fromEntries(stats.goaway),
      Object.fromEntries(stats.resets),
      `legit: ${ctx.flow.sent} bytes`,
    )
    expect(stats.frames).toBeGreaterThan(3000)
    expect(stats.goaway.size).toBeGreaterThanOrEqual(4) // the fuzz reached several distinct errors
    // The router tells a connection it closes why (those that are not told mostly said GOAWAY).
    const told = [...stats.goaway.values()].reduce((a, b) => a + b, 0)
    expect(told).toBeGreaterThan(0.8 * (stats.outcomes.get('closed') ?? 0))
    expect(stats.outcomes.get('pong') ?? 0).toBeGreaterThan(0) // and connections that stayed good
    expect([...stats.goaway.keys(), ...stats.resets.keys()]).not.toContain('ZH_INTERNAL')
    expect(progress.every((bytes) => bytes > 0)).toBe(true) // the legit circuit moved in every batch
    expect(ctx.flow.sent).toBeGreaterThan(4 * 1024 * 1024)
  })
})
