import { parseDatabaseUrl, redactDatabaseUrl } from './database-url';
import { StorageError } from './storage-error';

describe('redactDatabaseUrl', () => {
  it.each([
    ['postgres://bot:hunter2@db:5432/quant', 'postgres://bot:***@db:5432/quant'],
    ['postgresql://bot:p%40ss%2Fw0rd@db/quant?sslmode=require', 'postgresql://bot:***@db/quant?sslmode=require'],
    ['postgres://bot@db/quant?password=hunter2&sslpassword=x', 'postgres://bot@db/quant?password=***&sslpassword=***'],
    ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://postgres@127.0.0.1:5432/postgres'],
  ])('redacts %s', (url, expected) => {
    expect(redactDatabaseUrl(url)).toBe(expected);
  });

  it.each([['bot:hunter2@db'], ['postgres://bot:12/hunter2@db/quant'], ['db:5432 hunter2']])('does not echo %s, where a password may sit outside the user information', (text) => {
    expect(redactDatabaseUrl(text)).toBe('<unparseable URL>');
  });
});

describe('parseDatabaseUrl', () => {
  it('reads host, port, database and user', () => {
    expect(parseDatabaseUrl('postgres://bot:hunter2@db.internal:6543/quant%20bot', 'DATABASE_URL')).toEqual({
      host: 'db.internal',
      port: 6543,
      database: 'quant bot',
      user: 'bot',
      hostPort: 'db.internal:6543',
    });
  });

  it('defaults the port to 5432 and takes a socket directory from ?host=', () => {
    expect(parseDatabaseUrl('postgresql:///quant?host=/var/run/postgresql', 'DATABASE_URL')).toMatchObject({
      host: '/var/run/postgresql',
      port: 5432,
      hostPort: '/var/run/postgresql:5432',
      user: '',
    });
  });

  it('refuses text that is not a URL without repeating it', () => {
    const parse = () => parseDatabaseUrl('bot:hunter2@db', 'DATABASE_URL');
    expect(parse).toThrow(StorageError);
    expect(parse).toThrow(expect.objectContaining({ code: 'STORAGE_URL_INVALID', message: expect.stringContaining('DATABASE_URL is not a valid URL') }));
    expect(parse).not.toThrow(/hunter2/);
  });

  it('refuses another scheme, showing the URL redacted', () => {
    const parse = () => parseDatabaseUrl('mysql://bot:hunter2@db/quant', 'the url option');
    expect(parse).toThrow('the url option (mysql://bot:***@db/quant) is not a Postgres URL');
    expect(parse).not.toThrow(/hunter2/);
  });

  it('refuses a port out of range', () => {
    expect(() => parseDatabaseUrl('postgres://db/quant?port=99999', 'DATABASE_URL')).toThrow(/invalid port "99999"/);
  });
});
