import BetterSqlite3 from 'better-sqlite3';
import { withStatementCache } from '../../src/db/database';

describe('the SQLite statement cache', () => {
  it('prepares each query once and reuses it, with fresh parameters every time', () => {
    const raw = new BetterSqlite3(':memory:');
    const prepare = jest.spyOn(raw, 'prepare');
    const db = withStatementCache(raw);
    db.prepare('create table t (k text primary key, v text)').run([]);
    const insert = 'insert into t (k, v) values (?, ?)';
    db.prepare(insert).run(['a', '1']);
    db.prepare(insert).run(['b', '2']);
    expect(db.prepare('select v from t where k = ?').all(['b'])).toEqual([{ v: '2' }]);
    expect(db.prepare('select v from t where k = ?').all(['a'])).toEqual([{ v: '1' }]);
    expect(prepare.mock.calls.map(([query]) => query)).toEqual(['create table t (k text primary key, v text)', insert, 'select v from t where k = ?']);
    db.close();
  });

  it('still sees a schema change made after a statement was cached', () => {
    const db = withStatementCache(new BetterSqlite3(':memory:'));
    db.prepare('create table t (k text)').run([]);
    db.prepare('insert into t (k) values (?)').run(['x']);
    expect(db.prepare('select * from t').all([])).toEqual([{ k: 'x' }]);
    db.prepare('alter table t add column extra text').run([]);
    expect(db.prepare('select * from t').all([])).toEqual([{ k: 'x', extra: null }]);
    db.close();
  });

  it('counts every run of a statement that may write, failed ones too, and no read', () => {
    let writes = 0;
    const db = withStatementCache(new BetterSqlite3(':memory:'), () => (writes += 1));
    db.prepare('create table t (k text primary key)').run([]);
    expect(writes).toBe(1);
    db.prepare('insert into t (k) values (?)').run(['a']);
    expect(db.prepare('insert into t (k) values (?) returning k').all(['b'])).toEqual([{ k: 'b' }]);
    expect(writes).toBe(3);
    expect(() => db.prepare('insert into t (k) values (?)').run(['a'])).toThrow(/UNIQUE/);
    expect(writes).toBe(4);
    expect([...db.prepare('delete from t where k = ? returning k').iterate(['a'])]).toEqual([{ k: 'a' }]);
    expect(writes).toBe(6); // asked for, and done
    db.prepare('select * from t').all([]);
    db.prepare('pragma data_version').all([]);
    db.prepare('begin').run([]);
    db.prepare('commit').run([]);
    expect(writes).toBe(6);
    db.close();
  });
});
