"""Exits 0 when the PostgreSQL and Redis given as URLs answer; says which one does not."""

import sys

import psycopg
import redis


def main(pg_url: str, redis_url: str) -> int:
    ok = True
    try:
        psycopg.connect(pg_url.replace("postgres://", "postgresql://"), connect_timeout=5).close()
    except Exception as error:
        print(f"PostgreSQL at {pg_url} is unreachable: {error}", file=sys.stderr)
        ok = False
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except Exception as error:
        print(f"Redis at {redis_url} is unreachable: {error}", file=sys.stderr)
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
