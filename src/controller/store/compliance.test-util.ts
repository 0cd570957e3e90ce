import { EventEmitter } from 'node:events'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../errors.test-util.js'
import { ChangeFeed } from '../feed.js'
import type { SequencedChange } from '../changes.js'
import {
  latestCertificates,
  recordCertificate,
  recordRenewal,
  revokeCertificates,
} from '../model/certificates.js'
import { consumeEnrollment, insertEnrollment } from '../model/enrollments.js'
import {
  deleteIdentity,
  getIdentity,
  insertIdentity,
  listIdentities,
  updateIdentity,
} from '../model/identities.js'
import { getMeta, setMeta } from '../model/meta.js'
import type { Store } from './types.js'

/** How a store under test is opened. */
export interface StoreUnderTest {
  open(): Promise<Store>
  /**
   * Whether two opens make two replicas of one store. SQLite serves one controller process
   * through one connection: its "second replica" is the same store.
   */
  replicas: boolean
  /** Marks the schema as written by a newer version (then `open()` must refuse it). */
  makeSchemaNewer(store: Store): Promise<void>
  /** Undoes makeSchemaNewer. */
  restoreSchema(store: Store): Promise<void>
}

const silent = pino({ level: 'silent' })
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(10)
  }
}

/**
 * The store compliance suite: what the controller relies on from any store, run the same way
 * against SQLite and PostgreSQL (each test file is a dozen lines).
 */
export function storeCompliance(
  name: string,
  sut: () => Promise<StoreUnderTest>,
  skip = false,
): void {
  describe.skipIf(skip)(`store compliance: ${name}`, () => {
    let s: StoreUnderTest
    let a: Store
    let b: Store

    beforeAll(async () => {
      s = await sut()
      a = await s.open()
      b = s.replicas ? await s.open() : a
    })
    afterAll(async () => {
      await a?.close()
      if (b !== a) await b?.close()
    })

    it('round-trips text, integers past 2^32 as numbers, and nulls', async () => {
      const ms = Date.now()
      await a.run('INSERT INTO replicas (url, started_at, last_seen) VALUES (?, ?, ?)', [
        'https://x:1',
        ms,
        ms,
      ])
      const row = await a.get<{ url: string; started_at: number }>(
        'SELECT url, started_at FROM replicas WHERE url = ?',
        ['https://x:1'],
      )
      expect(row).toEqual({ url: 'https://x:1', started_at: ms })
      expect(typeof row!.started_at).toBe('number')
      expect(await a.get('SELECT url FROM replicas WHERE url = ?', ['nope'])).toBeUndefined()
      expect(await a.run('DELETE FROM replicas WHERE url = ?', ['https://x:1'])).toBe(1)
      await setMeta(a, 'k', 'v1')
      await setMeta(a, 'k', 'v2')
      expect(await getMeta(b, 'k')).toBe('v2')
    })

    it('keeps values out of the SQL text (a quote in a value is data)', async () => {
      await setMeta(a, "it's", "'); DROP TABLE meta; --")
      expect(await getMeta(a, "it's")).toBe("'); DROP TABLE meta; --")
    })

    it('commits a transaction whole, or rolls all of it back on a throw', async () => {
      await a.transaction(async (tx) => {
        await setMeta(tx, 'tx1', 'a')
        await setMeta(tx, 'tx2', 'b')
      })
      expect([await getMeta(b, 'tx1'), await getMeta(b, 'tx2')]).toEqual(['a', 'b'])
      const failed = a.transaction(async (tx) => {
        await setMeta(tx, 'tx3', 'c')
        throw new Error('boom')
      })
      await expect(failed).rejects.toThrow('boom')
      expect(await getMeta(a, 'tx3')).toBeUndefined()
      expect(await getMeta(b, 'tx3')).toBeUndefined()
    })

    it('hides what a transaction wrote from others until it commits', async () => {
      let release!: () => void
      const held = new Promise<void>((r) => (release = r))
      let written!: () => void
      const wrote = new Promise<void>((r) => (written = r))
      const tx = a.transaction(async (t) => {
        await setMeta(t, 'pending', 'x')
        written()
        await held
      })
      await wrote
      let settledEarly = false
      let released = false
      const outside = getMeta(a, 'pending').finally(() => (settledEarly = !released))
      const elsewhere = getMeta(b, 'pending')
      await sleep(50)
      released = true
      release()
      await tx
      if (s.replicas) {
        // Another replica reads the committed state of the moment: without the pending row.
        expect(await elsewhere).toBeUndefined()
        expect(await outside).toBeUndefined()
      } else {
        // One connection: a statement from outside waits for the transaction, then sees its end.
        expect(await outside).toBe('x')
        expect(settledEarly).toBe(false)
      }
      expect(await getMeta(b, 'pending')).toBe('x')
    })

    it('serializes exclusive transactions across replicas: no lost update', async () => {
      await setMeta(a, 'counter', '0')
      const bump = (store: Store) =>
        store.transaction(
          async (tx) => {
            const n = Number(await getMeta(tx, 'counter'))
            await sleep(30)
            await setMeta(tx, 'counter', String(n + 1))
          },
          { exclusive: true },
        )
      await Promise.all([bump(a), bump(b), bump(a), bump(b)])
      expect(await getMeta(a, 'counter')).toBe('4')
    })

    it('uses an enrollment token exactly once among 20 racing replicas', async () => {
      const identity = await insertIdentity(a, { name: 'racer', kind: 'endpoint', attributes: [] })
      await insertEnrollment(a, {
        jti: 'race-1',
        principalId: identity.id,
        principalKind: 'identity',
        expiresAt: Date.now() + 60_000,
      })
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          codeOf((i % 2 ? a : b).transaction((tx) => consumeEnrollment(tx, 'race-1', identity.id))),
        ),
      )
      expect(results.filter((r) => r === 'no error')).toHaveLength(1)
      expect(results.filter((r) => r === 'ZH_ENROLL_TOKEN_USED')).toHaveLength(19)
    })

    it('models identities: unique names, update, delete, enrolled flag', async () => {
      const x = await insertIdentity(a, { name: 'model-x', kind: 'endpoint', attributes: ['web'] })
      expect(
        await codeOf(insertIdentity(b, { name: 'model-x', kind: 'endpoint', attributes: [] })),
      ).toBe('ZH_NAME_TAKEN')
      expect(x).toMatchObject({
        name: 'model-x',
        attributes: ['web'],
        disabled: false,
        enrolled: false,
      })
      await recordCertificate(a, {
        serial: 's-x',
        fingerprint: 'f-x',
        principalId: x.id,
        principalKind: 'identity',
        notAfter: new Date(Date.now() + 60_000),
      })
      expect((await getIdentity(b, 'model-x')).enrolled).toBe(true)
      expect((await updateIdentity(b, x.id, { disabled: true, attributes: [] })).disabled).toBe(
        true,
      )
      expect((await listIdentities(a)).find((i) => i.id === x.id)).toMatchObject({
        disabled: true,
        enrolled: true,
      })
      await deleteIdentity(a, x.id)
      expect(await codeOf(getIdentity(b, x.id))).toBe('ZH_IDENTITY_NOT_FOUND')
    })

    it('records certificates, renewals and revocations', async () => {
      const later = new Date(Date.now() + 3_600_000)
      await recordCertificate(
        a,
        {
          serial: 'c1',
          fingerprint: 'fc1',
          principalId: 'p1',
          principalKind: 'router',
          notAfter: later,
        },
        1_000,
      )
      await recordCertificate(
        a,
        {
          serial: 'c2',
          fingerprint: 'fc2',
          principalId: 'p1',
          principalKind: 'router',
          notAfter: later,
        },
        2_000,
      )
      await recordRenewal(a, 'p1')
      await recordRenewal(b, 'p1')
      const latest = (await latestCertificates(b)).find((c) => c.principalId === 'p1')
      expect(latest).toMatchObject({ serial: 'c2', renewals: 2 })
      expect((await revokeCertificates(b, 'p1')).sort()).toEqual(['fc1', 'fc2'])
      expect(await revokeCertificates(a, 'p1')).toEqual([])
    })

    it('wakes every replica’s change feed on commit, in order, and never for a rollback', async () => {
      const seen: number[][] = [[], []]
      // Two feeds: two replicas, or (SQLite) two listeners of one process.
      const feeds = [a, b].map((store, i) => {
        const events = new EventEmitter()
        events.on('change', (c: SequencedChange) => seen[i]!.push(c.seq))
        return new ChangeFeed(store, events, silent)
      })
      for (const f of feeds) await f.start()
      const record = (store: Store, fail = false) =>
        store.transaction(
          async (tx) => {
            await tx.run('INSERT INTO changes (at, event) VALUES (?, ?)', [
              Date.now(),
              JSON.stringify({ lost: [], lostRouterAccess: [], revoked: [] }),
            ])
            await tx.announce('changes')
            if (fail) throw new Error('rolled back')
          },
          { exclusive: true },
        )
      await record(a)
      await expect(record(b, true)).rejects.toThrow('rolled back')
      await record(b)
      await record(a)
      // SQLite wakes the feeds of its own process only; the second replica reads on its poll.
      for (const f of feeds) await f.catchUp()
      await until(() => seen.every((s) => s.length === 3))
      expect(seen[0]).toEqual(seen[1])
      expect([...seen[0]!].sort((x, y) => x - y)).toEqual(seen[0])
      const replay = await feeds[1]!.since(seen[0]![0]!, seen[0]![2]!)
      expect(replay.map((c) => c.seq)).toEqual(seen[0]!.slice(1))
      for (const f of feeds) f.stop()
    })

    it('refuses a schema newer than the code, and changes nothing', async () => {
      await s.makeSchemaNewer(a)
      try {
        expect(await codeOf(s.open())).toBe('ZH_STORE_SCHEMA_NEWER')
      } finally {
        await s.restoreSchema(a)
      }
      const again = await s.open()
      await again.close()
    })
  })
}
