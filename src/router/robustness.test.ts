import { describe, expect, it } from 'vitest'
import { FrameType, MAX_META, MAX_PAYLOAD } from '../wire/index.js'
import { encodeOverlay } from '../wire/overlay.js'
import { encodeCredit, encodeReason } from '../wire/payloads.js'
import { rawHeader } from '../wire/raw-peer.test-util.js'
import { abuseBed, frame, type Target } from './abuse.test-util.js'
import { until, type Probe } from './traffic.test-util.js'

describe(
  'router robustness: bad input closes only the bad connection or circuit',
  { timeout: 60_000 },
  () => {
    const ctx = abuseBed()

    /** A probe whose dial of `service` on circuit 1 the router accepted. */
    async function dialed(target: Target): Promise<Probe> {
      const probe = await ctx.connect()
      probe.write(ctx.openDial(1, target))
      expect(await probe.waitFor(() => probe.accepted.has(1), 5000)).toBe(true)
      return probe
    }

    /** A fresh connection of the fuzzer's that has just sent `bytes`. */
    async function sent(bytes: Uint8Array): Promise<Probe> {
      const probe = await ctx.connect()
      probe.write(bytes)
      return probe
    }

    const closes: [string, () => Promise<Probe>, string][] = [
      [
        'an oversized length',
        () => sent(rawHeader(FrameType.DATA, 1, 0xffffffff)),
        'ZH_WIRE_FRAME_TOO_LARGE',
      ],
      [
        'OPEN metadata over 16 KiB',
        () => sent(rawHeader(FrameType.OPEN, 1, MAX_META + 1)),
        'ZH_WIRE_FRAME_TOO_LARGE',
      ],
      ['an unknown frame type', () => sent(rawHeader(0x7f, 0, 0)), 'ZH_WIRE_FRAME_TYPE_UNKNOWN'],
      [
        'an HTTP request',
        () => sent(Buffer.from('GET / HTTP/1.1\r\nHost: r\r\n\r\n')),
        'ZH_WIRE_FRAME_TYPE_UNKNOWN',
      ],
      ['unknown flags', () => sent(rawHeader(FrameType.PING, 0, 8, 0x80)), 'ZH_WIRE_PROTOCOL'],
      [
        "an OPEN with the router's parity",
        () => sent(frame(FrameType.OPEN, 2, ctx.dialMeta('echo'))),
        'ZH_WIRE_PROTOCOL',
      ],
      [
        'a reused circuit id',
        () => sent(Buffer.concat([ctx.openDial(1, 'echo'), ctx.openDial(1, 'echo')])),
        'ZH_WIRE_PROTOCOL',
      ],
      [
        'DATA before ACCEPT',
        () =>
          sent(
            Buffer.concat([ctx.openDial(1, 'echo'), frame(FrameType.DATA, 1, Buffer.from('x'))]),
          ),
        'ZH_WIRE_PROTOCOL',
      ],
      [
        'DATA for a circuit never opened',
        () => sent(frame(FrameType.DATA, 7, Buffer.from('x'))),
        'ZH_WIRE_PROTOCOL',
      ],
      [
        'a CREDIT of 0',
        () => sent(frame(FrameType.CREDIT, 1, encodeCredit(0))),
        'ZH_WIRE_PROTOCOL',
      ],
      [
        'a malformed RESET',
        () => sent(frame(FrameType.RESET, 1, Buffer.from([0, 9, 65]))),
        'ZH_WIRE_PROTOCOL',
      ],
      [
        'garbage JSON in a MESSAGE',
        () => sent(frame(FrameType.MESSAGE, 0, Buffer.from('{"t":"bind",'))),
        'ZH_OVERLAY_MESSAGE_INVALID',
      ],
      [
        'a MESSAGE of an unknown type',
        () => sent(frame(FrameType.MESSAGE, 0, Buffer.from('{"t":"steal","id":1}'))),
        'ZH_OVERLAY_MESSAGE_INVALID',
      ],
      [
        'a bind with a negative id',
        () =>
          sent(
            frame(
              FrameType.MESSAGE,
              0,
              Buffer.from('{"t":"bind","id":-1,"service":"echo","grant":"x"}'),
            ),
          ),
        'ZH_OVERLAY_MESSAGE_INVALID',
      ],
      [
        'DATA over the window of a relayed circuit',
        async () => {
          const p = await dialed('sink')
          // The sink never reads, so the router can take its own window, the sink's and one pipe
          // buffer (~530 KiB), no more: 1 MiB sent regardless of credit must overflow.
          const full = Buffer.alloc(MAX_PAYLOAD, 0x5a)
          for (let i = 0; i < 16; i++) p.write(frame(FrameType.DATA, 1, full))
          return p
        },
        'ZH_WIRE_FLOW_CONTROL',
      ],
      [
        'credit past 2^32',
        async () => {
          const p = await dialed('echo')
          const max = frame(FrameType.CREDIT, 1, encodeCredit(0xffffffff))
          p.write(Buffer.concat([max, max]))
          return p
        },
        'ZH_WIRE_FLOW_CONTROL',
      ],
      [
        'a second FIN',
        async () => {
          const p = await dialed('echo')
          p.write(Buffer.concat([frame(FrameType.FIN, 1), frame(FrameType.FIN, 1)]))
          return p
        },
        'ZH_WIRE_PROTOCOL',
      ],
    ]
    for (const [what, misbehave, code] of closes) {
      it(`closes the connection with ${code} on ${what}`, async () => {
        const probe = await misbehave()
        await probe.closed
        expect(probe.goaway).toBe(code)
      })
    }

    const refusals: [string, Buffer, string][] = [
      [
        'garbage JSON in an OPEN',
        frame(FrameType.OPEN, 1, Buffer.from('{"service":')),
        'ZH_OVERLAY_MESSAGE_INVALID',
      ],
      [
        'an OPEN holding a JSON array',
        frame(FrameType.OPEN, 1, Buffer.from('["echo"]')),
        'ZH_OVERLAY_MESSAGE_INVALID',
      ],
      [
        'an OPEN with a numeric service',
        frame(FrameType.OPEN, 1, Buffer.from('{"service":1,"grant":"x"}')),
        'ZH_OVERLAY_MESSAGE_INVALID',
      ],
      [
        'an OPEN with a forged grant',
        frame(FrameType.OPEN, 1, encodeOverlay({ service: 'echo', grant: 'a.b.c' })),
        'ZH_GRANT_INVALID',
      ],
      [
        'an OPEN of 16 KiB of zeros',
        frame(FrameType.OPEN, 1, Buffer.alloc(MAX_META)),
        'ZH_OVERLAY_MESSAGE_INVALID',
      ],
    ]
    for (const [what, bytes, code] of refusals) {
      it(`refuses ${what} with ${code} and keeps the connection`, async () => {
        const probe = await ctx.connect()
        probe.write(bytes)
        expect(await probe.settle()).toBe('pong')
        expect(probe.resets.get(1)).toBe(code)
        probe.socket.destroy()
      })
    }

    it('answers a bind with a forged grant with bind-failed and keeps the connection', async () => {
      const probe = await ctx.connect()
      probe.write(
        frame(
          FrameType.MESSAGE,
          0,
          encodeOverlay({ t: 'bind', id: 3, service: 'echo', grant: 'a.b.c' }),
        ),
      )
      expect(await probe.settle()).toBe('pong')
      expect(probe.messages).toEqual([{ t: 'bind-failed', id: 3, code: 'ZH_GRANT_INVALID' }])
      probe.socket.destroy()
    })

    it('frees the relay and the host side at once when a dialer drops a circuit it just opened', async () => {
      const { circuit } = await ctx.bystander.open(ctx.dialMeta('echo'))
      circuit.destroy()
      // The dialer leg is gone, the host leg got a FIN: the host's FIN back must end it (it used to
      // sit paused, unread, until the 60 s half-open timer).
      const mine = () =>
        [...ctx.bed.router.registry.relays].filter((r) => r.dialer.identityId === ctx.fuzzer.id)
      await until(() => mine().length === 0 && ctx.echoChannel.circuits === 1, 1000, 'relay freed')
    })

    it('lets an endpoint that says GOAWAY go, with its circuits', async () => {
      const probe = await dialed('echo')
      probe.write(frame(FrameType.GOAWAY, 0, encodeReason('ZH_SOMETHING_ELSE', 'bye', true)))
      await probe.closed
      expect(probe.goaway).toBeUndefined()
    })
  },
)
