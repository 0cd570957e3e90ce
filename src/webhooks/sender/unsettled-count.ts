/**
 * SQL that keeps a running count of a queue table's unsettled rows (state `pending` or
 * `in-flight`) in a one-row table, by triggers in the same transaction as each write, so a cap
 * reads one row instead of counting up to its limit on every accept (a COUNT over 100,000 rows
 * takes about 5 ms). A table from before the count is counted once, when this first runs: run
 * it in an IMMEDIATE transaction. `table` and `counter` are fixed identifiers of ours.
 */
export function unsettledCountSql(table: string, counter: string): string {
  const unsettled = (row: 'NEW' | 'OLD') => `${row}.state IN ('pending', 'in-flight')`
  return `
CREATE TABLE IF NOT EXISTS ${counter} (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  n INTEGER NOT NULL
);
INSERT OR IGNORE INTO ${counter} (id, n)
  SELECT 0, count(*) FROM ${table} WHERE state IN ('pending', 'in-flight');
CREATE TRIGGER IF NOT EXISTS ${counter}_insert AFTER INSERT ON ${table}
  WHEN ${unsettled('NEW')}
  BEGIN UPDATE ${counter} SET n = n + 1; END;
CREATE TRIGGER IF NOT EXISTS ${counter}_update AFTER UPDATE OF state ON ${table}
  BEGIN UPDATE ${counter} SET n = n + (${unsettled('NEW')}) - (${unsettled('OLD')}); END;
CREATE TRIGGER IF NOT EXISTS ${counter}_delete AFTER DELETE ON ${table}
  WHEN ${unsettled('OLD')}
  BEGIN UPDATE ${counter} SET n = n - 1; END;`
}
