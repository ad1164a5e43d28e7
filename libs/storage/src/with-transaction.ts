import type { Kysely, Transaction } from 'kysely';

/**
 * Runs `fn` in a transaction: committed if `fn` resolves, rolled back (and the error rethrown)
 * if it throws, so a record is never half-written. Inside, use `trx`, never the outer `db`: the
 * embedded database has one connection, which the transaction holds, so a query on `db` would
 * wait for the transaction to end, forever.
 *
 * Called with a `Transaction` (from an enclosing `withTransaction`), `fn` joins it: the work
 * commits or rolls back with the outer transaction, so helpers can take either.
 *
 * @example
 * await withTransaction(storage.db, async (trx) => {
 *   await trx.insertInto('runs').values(run).execute();
 *   await trx.insertInto('run_metrics').values(metrics).execute();
 * });
 */
export async function withTransaction<DB, T>(db: Kysely<DB> | Transaction<DB>, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  // isTransaction, not instanceof: a second copy of kysely in node_modules would defeat instanceof.
  if (db.isTransaction) return fn(db as Transaction<DB>);
  return db.transaction().execute(fn);
}
